import BotmasterIPC
import BotmasterSystem
import Glibc
import Synchronization

/// The reference worker's main loop: hello, heartbeats on the interval the master sets, obey
/// drain, exit when the master goes away. Single-threaded and poll-driven, so an idle worker is
/// one sleeping thread and a few hundred kilobytes of its own memory. A started payload with a
/// thread of its own may take the channel's reading over; this loop then keeps the heartbeats,
/// the signals and the drain.
public struct WorkerRuntime: ~Copyable {
    /// Who this worker is, from the environment the master set.
    public struct Identity: Sendable {
        public var botID: String
        public var ipcFD: Int32
        public var masterPID: pid_t?
        /// The heartbeat page's descriptor, when the master gave one.
        public var heartbeatFD: Int32?

        /// Reads `BOTMASTER_BOT_ID`, `BOTMASTER_IPC_FD`, `BOTMASTER_MASTER_PID` and
        /// `BOTMASTER_HEARTBEAT_FD`.
        public static func fromEnvironment(_ environment: [String: String]) -> Identity? {
            fromEnvironment { environment[$0] }
        }

        /// The same from this process's environment, read variable by variable: a worker that
        /// only keeps the protocol never builds the whole environment as a dictionary.
        public static func fromProcessEnvironment() -> Identity? {
            fromEnvironment(Environment.variable)
        }

        private static func fromEnvironment(_ value: (String) -> String?) -> Identity? {
            guard let botID = value("BOTMASTER_BOT_ID"), let fd = value("BOTMASTER_IPC_FD").flatMap({ Int32($0) }) else { return nil }
            return Identity(
                botID: botID, ipcFD: fd, masterPID: value("BOTMASTER_MASTER_PID").flatMap { pid_t($0) },
                heartbeatFD: value("BOTMASTER_HEARTBEAT_FD").flatMap { Int32($0) })
        }
    }

    /// How the worker ended.
    public enum Outcome: Equatable, Sendable {
        /// Drained on the master's request or on SIGTERM.
        case drained
        /// The master went away (EOF on the channel, or the parent-death signal).
        case masterGone
        /// The channel failed.
        case failed(String)
    }

    private let identity: Identity
    private var channel: WorkerChannel
    private let startedAt = MonotonicTime.now()
    private var heartbeatInterval: Duration = .seconds(45)
    private var nextHeartbeat: MonotonicTime?
    private let payload: (any WorkerPayload)?
    /// Where heartbeats go when the master gave a page: no system call, and no wake-up of the
    /// master; otherwise they are frames on the channel.
    private let heartbeatPage: SharedCounterPage?
    /// Carries out the master's frames, here or on the thread the channel is handed to.
    private let dispatcher: MasterFrameDispatcher
    /// Set once the payload reads the channel: what the frames ask of this loop comes here.
    private var directives: DirectiveQueue?
    /// Whether the payload was offered the channel's reading (once, when it started).
    private var offeredReading = false

    /// - Parameters:
    ///   - identity: who this worker is.
    ///   - payload: the bot runtime, started when the welcome carries settings; `nil` for a
    ///     worker that only keeps the protocol.
    public init(identity: Identity, payload: (any WorkerPayload)? = nil) {
        self.identity = identity
        self.channel = WorkerChannel(fd: identity.ipcFD)
        self.payload = payload
        self.dispatcher = MasterFrameDispatcher(botID: identity.botID, payload: payload, writer: channel.writer)
        // A page that cannot be mapped is not fatal: the heartbeats go as frames instead, and
        // the descriptor (perhaps another file by now, behind a wrapper) is left alone.
        heartbeatPage = identity.heartbeatFD.flatMap { try? SharedCounterPage(mapping: $0) }
        // The mapping stays; the descriptor is not for the bot's own child processes.
        if heartbeatPage != nil, let fd = identity.heartbeatFD { Descriptors.close(fd) }
    }

    /// Runs until drained or orphaned.
    public mutating func run() -> Outcome {
        // The parent-death signal is a backstop for the process the master spawned (the
        // leader of its own group) only: behind a wrapper (`sh -c`), the parent is the wrapper,
        // and the end of file on the channel is what tells this worker its master is gone.
        if let master = identity.masterPID, getpid() == getpgrp(),
            !Processes.requestSignalOnParentDeath(SIGTERM, expectedParent: master)
        {
            return .masterGone
        }
        let wakeFD = TerminationSignal.install()
        do {
            try channel.write(Hello(pid: getpid(), bot: identity.botID, runtime: "botworker/0.1.0").frame())
        } catch {
            return .failed("cannot send hello: \(error)")
        }
        // The first entry is the channel, or, once the payload reads it, the directives' pipe.
        var pollSet = [
            pollfd(fd: identity.ipcFD, events: Int16(POLLIN), revents: 0),
            pollfd(fd: wakeFD, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            if TerminationSignal.received { return drain() }
            let timeout = nextHeartbeat.map { max(Int32(clamping: ($0 - .now()).millisecondsClamped), 0) } ?? -1
            let ready = poll(&pollSet, 2, timeout)
            if ready < 0 && errno != EINTR { return .failed("poll: \(String(cString: strerror(errno)))") }
            if TerminationSignal.received { return drain() }
            if pollSet[0].revents != 0 {
                if let outcome = directives == nil ? readChannel() : takeDirectives() { return outcome }
                if !offeredReading, dispatcher.hasConfiguredPayload, let queue = offerReading() {
                    pollSet[0].fd = queue.wakeFD
                }
            }
            if let due = nextHeartbeat, MonotonicTime.now() >= due {
                do {
                    try sendHeartbeat()
                } catch {
                    return .failed("cannot send heartbeat: \(error)")
                }
            }
        }
    }

    /// Reads the channel once and carries out the frames complete so far.
    private mutating func readChannel() -> Outcome? {
        let frames: [Frame]
        do {
            switch try channel.read() {
            case .endOfFile: return .masterGone
            case .frames(let complete): frames = complete
            }
        } catch {
            return .failed("\(error)")
        }
        for frame in frames {
            if let directive = dispatcher.dispatch(frame), let outcome = carryOut(directive) { return outcome }
        }
        return nil
    }

    /// What the thread reading the channel passed back.
    private mutating func takeDirectives() -> Outcome? {
        for directive in directives?.take() ?? [] {
            if let outcome = carryOut(directive) { return outcome }
        }
        return nil
    }

    private mutating func carryOut(_ directive: ProtocolDirective) -> Outcome? {
        switch directive {
        case .heartbeatInterval(let milliseconds, let beatNow):
            apply(heartbeatIntervalMs: milliseconds)
            guard beatNow else { return nil }
            do {
                try sendHeartbeat()
                return nil
            } catch {
                return .failed("cannot send heartbeat: \(error)")
            }
        case .drain:
            return drain()
        case .end(let outcome):
            return outcome
        }
    }

    /// Offers the started payload the channel's reading, with whatever bytes this loop read
    /// past the last whole frame; returns where the payload's directives will wake this loop,
    /// or `nil` when this loop keeps reading.
    private mutating func offerReading() -> DirectiveQueue? {
        offeredReading = true
        guard let payload, let queue = try? DirectiveQueue() else { return nil }
        let buffered = channel.takeBufferedBytes()
        let reader = ChannelReader(
            buffered: buffered, maximumFrameLength: WorkerChannel.masterFrameLimit, dispatcher: dispatcher, directives: queue)
        guard payload.takeChannelReading(fd: identity.ipcFD, reader: reader) else {
            channel.putBack(buffered)
            return nil
        }
        directives = queue
        return queue
    }

    /// Finishes the payload's work in hand; the protocol loop itself holds none between frames.
    private func drain() -> Outcome {
        payload?.drain()
        return .drained
    }

    private mutating func apply(heartbeatIntervalMs: Int) {
        heartbeatInterval = .milliseconds(max(heartbeatIntervalMs, 50))
        nextHeartbeat = Self.nextTick(after: .now(), every: heartbeatInterval, slot: Self.slot(for: identity.botID))
    }

    private mutating func sendHeartbeat() throws {
        let uptime = UInt64(max((MonotonicTime.now() - startedAt).millisecondsClamped, 0))
        let heartbeat = Heartbeat(
            uptimeMs: uptime, messages: payload?.messages ?? 0, errors: payload?.errors ?? 0, extra: payload?.heartbeatExtra ?? [])
        if let heartbeatPage {
            heartbeatPage.write(heartbeat.counters)
        } else {
            try channel.write(heartbeat.frame())
        }
        nextHeartbeat = Self.nextTick(after: .now(), every: heartbeatInterval, slot: Self.slot(for: identity.botID))
    }

    /// The next heartbeat time: a multiple of `interval` on the monotonic clock (which every
    /// process on the host shares), shifted by this bot's slot, one of ``heartbeatSlots``
    /// evenly spaced phases chosen by its id. Workers with the same interval therefore beat in
    /// a few groups: the master reads each group in a handful of batched wake-ups instead of
    /// one wake-up per worker (with 1000 workers at 1 s, about 16 bursts a second instead of
    /// 1000 separate wake-ups), while no single burst makes every worker runnable at once.
    static func nextTick(after now: MonotonicTime, every interval: Duration, slot: UInt64) -> MonotonicTime {
        let step = UInt64(max(interval.nanosecondsClamped, 1))
        let phase = step / heartbeatSlots * (slot % heartbeatSlots)
        let base = now.nanoseconds >= phase ? now.nanoseconds - phase : 0
        return MonotonicTime(nanoseconds: (base / step + 1) * step + phase)
    }

    /// Writes one line to stdout at once (stdout is a pipe to the master, which `print` would
    /// buffer until exit).
    public static func say(_ line: String) {
        try? FileSystem.writeAll(STDOUT_FILENO, Array((line + "\n").utf8))
    }

    /// Number of heartbeat phases per interval.
    static let heartbeatSlots: UInt64 = 16

    /// A stable slot for a bot id (FNV-1a: the same in every process, unlike `Hasher`).
    static func slot(for botID: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in botID.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash % heartbeatSlots
    }
}

/// SIGTERM and SIGINT turned into a readable descriptor (the self-pipe trick), so the poll loop
/// wakes for them without a race between checking a flag and going to sleep.
enum TerminationSignal {
    private static let flag = Atomic<Bool>(false)
    private static let wakeWriteFD = Atomic<Int32>(-1)

    static var received: Bool { flag.load(ordering: .relaxed) }

    /// Installs the handlers; returns the descriptor that becomes readable on a signal.
    static func install() -> Int32 {
        guard let pipe = try? Descriptors.pipe() else { return -1 }
        _ = fcntl(pipe.write, F_SETFL, O_NONBLOCK)
        wakeWriteFD.store(pipe.write, ordering: .relaxed)
        let handler: @convention(c) (Int32) -> Void = { _ in
            TerminationSignal.flag.store(true, ordering: .relaxed)
            var byte: UInt8 = 1
            _ = write(TerminationSignal.wakeWriteFD.load(ordering: .relaxed), &byte, 1)
        }
        signal(SIGTERM, handler)
        signal(SIGINT, handler)
        return pipe.read
    }
}
