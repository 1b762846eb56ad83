import BotmasterIPC
import BotworkerKit
import Foundation
import Glibc
import Synchronization
import Testing

/// A started payload may take the channel's reading over from the protocol loop: nothing read
/// before the hand-over (a frame cut in two by it) is lost or reordered, the payload's thread
/// carries out the frames after it, and the protocol loop still drains, follows a new heartbeat
/// interval and ends when the master goes away.
@Suite(.timeLimit(.minutes(1))) struct ChannelHandOverTests {
    @Test func framesAfterTheHandOverAreReadByThePayloadsThreadInOrder() throws {
        let master = try MasterEnd(payload: ReadingPayload(takesReading: true))
        try master.expect(.hello)
        // The welcome starts the payload; the first update follows in the same write, and the
        // second is cut in two, so the loop hands over with half a frame read.
        let second = update(2).encoded()
        try master.send(welcomeWithSettings().encoded() + update(1).encoded() + Array(second.prefix(7)))
        try master.expect(.heartbeat)
        #expect(try master.ackID() == 1)
        try master.waitUntil { master.payload.readerThread != nil }
        try master.send(Array(second.dropFirst(7)) + update(3).encoded())
        #expect(try master.ackID() == 2)
        #expect(try master.ackID() == 3)
        let received = master.payload.received
        #expect(received.map(\.requestID) == [1, 2, 3])
        #expect(received[0].thread != master.payload.readerThread)
        #expect(received[1].thread == master.payload.readerThread)
        #expect(received[2].thread == master.payload.readerThread)

        // A new interval reaches the protocol loop, which beats on it.
        try master.send(MasterMessage.config(ConfigUpdate(heartbeatIntervalMs: 50)).frame().encoded())
        try master.expect(.heartbeat)
        try master.send(MasterMessage.drain(Drain(deadlineMs: 1000, reason: "test")).frame().encoded())
        #expect(master.outcome() == .drained)
        #expect(master.payload.drained)
    }

    @Test func theMasterGoingAwayEndsTheWorkerAfterTheHandOver() throws {
        let master = try MasterEnd(payload: ReadingPayload(takesReading: true))
        try master.expect(.hello)
        try master.send(welcomeWithSettings().encoded())
        try master.expect(.heartbeat)
        try master.waitUntil { master.payload.readerThread != nil }
        master.closeMasterEnd()
        #expect(master.outcome() == .masterGone)
        #expect(!master.payload.drained)
    }

    @Test func aPayloadThatDeclinesLeavesTheReadingToTheProtocolLoop() throws {
        let master = try MasterEnd(payload: ReadingPayload(takesReading: false))
        try master.expect(.hello)
        let first = update(1).encoded()
        try master.send(welcomeWithSettings().encoded() + Array(first.prefix(5)))
        try master.expect(.heartbeat)
        try master.send(Array(first.dropFirst(5)))
        #expect(try master.ackID() == 1)
        #expect(master.payload.received.map(\.requestID) == [1])
        #expect(master.payload.readerThread == nil)
        try master.send(MasterMessage.drain(Drain(deadlineMs: 1000, reason: "test")).frame().encoded())
        #expect(master.outcome() == .drained)
    }

    @Test func aBadFrameAfterTheHandOverEndsTheWorkerWithTheReason() throws {
        let master = try MasterEnd(payload: ReadingPayload(takesReading: true))
        try master.expect(.hello)
        try master.send(welcomeWithSettings().encoded())
        try master.expect(.heartbeat)
        try master.waitUntil { master.payload.readerThread != nil }
        try master.send(Frame(type: .hello, payload: Array("{}".utf8)).encoded())
        guard case .failed(let reason) = master.outcome() else {
            Issue.record("the worker did not fail")
            return
        }
        #expect(reason.contains("only a worker sends it"))
    }

    @Test func aBrokenStreamAfterTheHandOverEndsTheWorkerWithTheReason() throws {
        let master = try MasterEnd(payload: ReadingPayload(takesReading: true))
        try master.expect(.hello)
        try master.send(welcomeWithSettings().encoded())
        try master.expect(.heartbeat)
        try master.waitUntil { master.payload.readerThread != nil }
        // A length, then a type byte no frame has: the framing is lost.
        try master.send([0, 0, 0, 1, 0xEE])
        guard case .failed(let reason) = master.outcome() else {
            Issue.record("the worker did not fail")
            return
        }
        #expect(reason.contains("unknown frame type 0xee"))
    }

    private func welcomeWithSettings() -> Frame {
        MasterMessage.welcome(Welcome(heartbeatIntervalMs: 60_000, logLevel: "info", settings: ["mode": .string("webhook")])).frame()
    }

    private func update(_ id: UInt64) -> Frame {
        WebhookUpdate(requestID: id, body: Array("{\"update_id\":\(id)}".utf8)).frame()
    }
}

/// The master's end of a socket pair whose other end a ``WorkerRuntime`` runs on a thread.
private final class MasterEnd: Sendable {
    let payload: ReadingPayload
    private let fd: Int32
    private let workerFD: Int32
    private let decoder = Mutex(FrameDecoder())
    private let result = Mutex<WorkerRuntime.Outcome?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(payload: ReadingPayload) throws {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else { throw POSIXError(.EIO) }
        fd = pair[0]
        workerFD = pair[1]
        // A frame that never comes fails the test instead of hanging it.
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        self.payload = payload
        let identity = try #require(WorkerRuntime.Identity.fromEnvironment(["BOTMASTER_BOT_ID": "bot", "BOTMASTER_IPC_FD": "\(workerFD)"]))
        Thread.detachNewThread { [self] in
            var runtime = WorkerRuntime(identity: identity, payload: payload)
            let outcome = runtime.run()
            // The runtime turned SIGTERM and SIGINT into drains; this process is the test's.
            signal(SIGTERM, SIG_DFL)
            signal(SIGINT, SIG_DFL)
            result.withLock { $0 = outcome }
            done.signal()
        }
    }

    deinit {
        close(fd)
        close(workerFD)
    }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        try #require(sent == bytes.count)
    }

    func closeMasterEnd() {
        shutdown(fd, Int32(SHUT_RDWR))
    }

    /// The next frame from the worker.
    func next() throws -> Frame {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            if let frame = try decoder.withLock({ try $0.nextFrame() }) { return frame }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            try #require(count > 0, "the worker closed its end")
            decoder.withLock { $0.append(contentsOf: buffer[0..<count]) }
        }
    }

    func expect(_ type: FrameType) throws {
        let frame = try next()
        #expect(frame.type == type)
    }

    /// The request id of the next ack, past any heartbeat.
    func ackID() throws -> UInt64 {
        while true {
            let frame = try next()
            if frame.type == .heartbeat { continue }
            return try UpdateAck(payload: frame.payload).requestID
        }
    }

    func waitUntil(_ condition: () -> Bool) throws {
        for _ in 0..<500 where !condition() { usleep(10_000) }
        try #require(condition())
    }

    func outcome() -> WorkerRuntime.Outcome? {
        _ = done.wait(timeout: .now() + 20)
        return result.withLock { $0 }
    }
}

/// A payload that acks every update and, when asked, reads the channel on a thread of its own.
private final class ReadingPayload: WorkerPayload {
    struct Received: Sendable {
        var requestID: UInt64
        var thread: pthread_t
    }

    private struct State {
        var writer: FrameWriter?
        var received: [Received] = []
        var readerThread: pthread_t?
        var drained = false
    }

    private let takesReading: Bool
    private let state = Mutex(State())

    init(takesReading: Bool) {
        self.takesReading = takesReading
    }

    var received: [Received] { state.withLock { $0.received } }
    var readerThread: pthread_t? { state.withLock { $0.readerThread } }
    var drained: Bool { state.withLock { $0.drained } }

    func configure(settings: [String: JSONValue], writer: FrameWriter) throws(WorkerPayloadError) {
        state.withLock { $0.writer = writer }
    }

    func receive(_ update: WebhookUpdate) {
        let writer = state.withLock { state in
            state.received.append(Received(requestID: update.requestID, thread: pthread_self()))
            return state.writer
        }
        try? writer?.write(UpdateAck(requestID: update.requestID, result: .accepted).frame())
    }

    func takeChannelReading(fd: Int32, reader: ChannelReader) -> Bool {
        guard takesReading else { return false }
        let duplicate = dup(fd)
        Thread.detachNewThread { [self] in
            state.withLock { $0.readerThread = pthread_self() }
            var buffer = [UInt8](repeating: 0, count: 3)  // small reads: frames arrive in pieces
            while true {
                let count = buffer.withUnsafeMutableBytes { read(duplicate, $0.baseAddress, $0.count) }
                if count > 0 {
                    reader.receive(buffer[0..<count])
                } else if count == 0 || errno != EINTR {
                    reader.endOfFile()
                    close(duplicate)
                    return
                }
            }
        }
        return true
    }

    func deadLetters(_ request: DeadLetterRequest) {}
    func broadcast(_ request: BroadcastRequest) {}
    func drain() { state.withLock { $0.drained = true } }
    var messages: UInt64 { 0 }
    var errors: UInt64 { 0 }
    var heartbeatExtra: [UInt64] { [] }
}
