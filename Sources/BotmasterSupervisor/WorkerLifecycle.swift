import BotmasterConfig
import BotmasterSystem

/// The life of one supervised worker as a pure state machine: events in (spawned, hello,
/// heartbeat, exit, clock ticks, memory samples, operator requests), actions out (spawn, drain,
/// SIGTERM, SIGKILL). It performs no I/O and reads no clock, so every rule is tested with plain
/// values; the supervisor carries out the actions.
public struct WorkerLifecycle: Sendable {
    /// What the supervisor must do next.
    public enum Action: Sendable, Equatable {
        /// Start the process (again).
        case spawn
        /// Ask the worker to finish and exit: a drain frame to a protocol worker.
        case drain(reason: String)
        /// SIGTERM to the worker's process group.
        case terminate
        /// SIGKILL to the worker's process group.
        case kill
    }

    /// Why the worker is being stopped.
    enum StopIntent: Sendable, Equatable {
        /// Start it again afterwards, for this reason.
        case restart(ExitReason)
        /// Leave it stopped.
        case stop
    }

    /// How long a plain process (no protocol) must stay up before it counts as running.
    public static let plainStartGrace: Duration = .seconds(1)

    public private(set) var state: WorkerState = .stopped

    /// When a plain process that is starting counts as running (``tick(now:)`` moves it then);
    /// nil for any other worker.
    public var plainStartGraceEnds: MonotonicTime? {
        guard state == .starting, !speaksProtocol else { return nil }
        return stateSince + min(limits.startTimeout, Self.plainStartGrace)
    }
    /// Whether the worker speaks the protocol (hello, heartbeats, drain).
    public var speaksProtocol: Bool
    /// The limits in force; a reload may change them.
    public var limits: WorkerLimits
    /// Restarts made since the master started (not reset by an operator restart).
    public private(set) var restartCount = 0
    /// Why the worker last ended.
    public private(set) var lastExit: ExitReason?
    /// When the current state began.
    public private(set) var stateSince: MonotonicTime
    /// When the worker last proved it was alive (hello or heartbeat).
    public private(set) var lastHeartbeat: MonotonicTime?
    /// When the last spawn happened, for uptime.
    public private(set) var startedAt: MonotonicTime?
    /// When a worker in `backoff` starts again.
    public private(set) var restartAt: MonotonicTime?

    private var history = RestartHistory()
    private var intent: StopIntent?
    private var killDeadline: MonotonicTime?
    private var killSent = false
    private var hasSpawned = false

    public init(speaksProtocol: Bool, limits: WorkerLimits, now: MonotonicTime) {
        self.speaksProtocol = speaksProtocol
        self.limits = limits
        self.stateSince = now
    }

    /// The restart policy the limits describe.
    public var policy: RestartPolicy {
        RestartPolicy(cooldown: limits.restartCooldown, maxRestarts: limits.maxRestartsPerHour)
    }

    /// Restarts inside the policy's window, as of the last decision.
    public var recentRestarts: Int { history.count }

    /// Whether a process is expected to exist for this worker.
    public var hasProcess: Bool { state == .starting || state == .running || state == .stopping }

    // MARK: Events from the process

    /// The supervisor started the process.
    public mutating func spawned(at now: MonotonicTime) {
        if hasSpawned { restartCount += 1 }
        hasSpawned = true
        transition(to: .starting, at: now)
        startedAt = now
        lastHeartbeat = nil
        intent = nil
        killDeadline = nil
        killSent = false
        restartAt = nil
    }

    /// The spawn failed before any process existed; treated like an immediate exit.
    public mutating func spawnFailed(_ reason: String, at now: MonotonicTime) -> [Action] {
        hasSpawned = true
        return restart(for: .spawnFailed(reason), at: now)
    }

    /// The hello frame arrived.
    public mutating func helloReceived(at now: MonotonicTime) {
        lastHeartbeat = now
        if state == .starting { transition(to: .running, at: now) }
    }

    /// A heartbeat arrived.
    public mutating func heartbeatReceived(at now: MonotonicTime) {
        lastHeartbeat = now
    }

    /// The process exited (it was reaped).
    public mutating func exited(_ status: ExitStatus, at now: MonotonicTime) -> [Action] {
        switch intent {
        case .stop?:
            transition(to: .stopped, at: now)
            intent = nil
            return []
        case .restart(let reason)?:
            intent = nil
            return restart(for: reason, at: now)
        case nil:
            return restart(for: .exited(status.description), at: now)
        }
    }

    /// The worker broke the protocol (or closed its channel while alive): it is ended hard,
    /// because with the framing lost a drain frame could not be understood.
    public mutating func protocolViolated(_ reason: String, at now: MonotonicTime) -> [Action] {
        guard state == .starting || state == .running else { return [] }
        return beginStop(.restart(.protocolError(reason)), graceful: false, at: now)
    }

    // MARK: Time and measurements

    /// Checks the deadlines that depend on time passing. Call it a few times a second.
    public mutating func tick(now: MonotonicTime) -> [Action] {
        switch state {
        case .starting:
            if !speaksProtocol {
                if let ends = plainStartGraceEnds, now >= ends { transition(to: .running, at: now) }
            } else if now - stateSince > limits.startTimeout {
                return beginStop(.restart(.startTimeout), graceful: false, at: now)
            }
        case .running:
            if speaksProtocol, let last = lastHeartbeat, now - last > limits.heartbeatTimeout {
                return beginStop(.restart(.hung(silentFor: now - last)), graceful: false, at: now)
            }
        case .stopping:
            if let deadline = killDeadline, now >= deadline, !killSent {
                killSent = true
                return [.kill]
            }
        case .backoff:
            if let restartAt, now >= restartAt { return [.spawn] }
        case .stopped, .errored:
            break
        }
        return []
    }

    /// A memory sample (the PSS of the worker's process group); over the cap means a graceful
    /// restart, but with only `memory_grace` to exit before SIGKILL, not the whole stop
    /// timeout. A worker already stopping (for any reason) that is over its cap gets the same
    /// shorter deadline.
    public mutating func memorySampled(used: UInt64, at now: MonotonicTime) -> [Action] {
        guard used > limits.memoryBytes else { return [] }
        switch state {
        case .running, .starting:
            let actions = beginStop(.restart(.memory(used: used, cap: limits.memoryBytes)), graceful: true, at: now)
            shortenKillDeadline(to: now + limits.memoryGrace)
            return actions
        case .stopping:
            shortenKillDeadline(to: now + limits.memoryGrace)
            return []
        case .backoff, .stopped, .errored:
            return []
        }
    }

    private mutating func shortenKillDeadline(to deadline: MonotonicTime) {
        if let current = killDeadline, current <= deadline { return }
        killDeadline = deadline
    }

    // MARK: Requests

    /// Stop the worker and leave it stopped (shutdown, disabled, removed).
    public mutating func stop(at now: MonotonicTime, reason: String = "shutdown") -> [Action] {
        switch state {
        case .starting, .running:
            return beginStop(.stop, graceful: true, at: now, drainReason: reason)
        case .stopping:
            intent = .stop
            return []
        case .backoff, .stopped:
            restartAt = nil
            transition(to: .stopped, at: now)
            return []
        case .errored:
            return []  // it runs nothing already, and the give-up must outlive a master restart
        }
    }

    /// An operator's restart: a fresh allowance, and a start now (after a graceful stop if the
    /// worker is up).
    public mutating func operatorRestart(at now: MonotonicTime) -> [Action] {
        plannedRestart(.operatorRestart, at: now)
    }

    /// A restart someone decided on (an operator, a reload that changed the command): a fresh
    /// allowance, no cooldown, and a start now, after a graceful stop if the worker is up.
    public mutating func plannedRestart(_ reason: ExitReason, at now: MonotonicTime) -> [Action] {
        history.reset()
        switch state {
        case .starting, .running:
            return beginStop(.restart(reason), graceful: true, at: now, drainReason: reason == .reload ? "reload" : "restart")
        case .stopping:
            intent = .restart(reason)
            return []
        case .backoff, .errored, .stopped:
            restartAt = nil
            return [.spawn]
        }
    }

    // MARK: Surviving a master restart

    /// What must survive a master restart: the counters operators alert on, and a give-up
    /// decision, which a restart of the master must not quietly undo.
    public struct Accounting: Codable, Sendable, Equatable {
        public var restartCount: Int
        public var lastExit: ExitReason?
        public var errored: Bool
        /// The restarts inside the policy window, as wall-clock milliseconds (the monotonic
        /// clock does not survive a reboot; the wall clock does).
        public var recentRestartsWallMs: [Int64]
    }

    /// The accounting to save, with `wallNowMs` the wall clock at `now`.
    public func accounting(now: MonotonicTime, wallNowMs: Int64) -> Accounting {
        Accounting(
            restartCount: restartCount,
            lastExit: lastExit,
            errored: state == .errored,
            recentRestartsWallMs: history.recorded.map { wallNowMs - (now - $0).millisecondsClamped })
    }

    /// Takes over saved accounting before the first spawn. An errored bot stays errored.
    public mutating func restore(_ saved: Accounting, now: MonotonicTime, wallNowMs: Int64) {
        restartCount = saved.restartCount
        lastExit = saved.lastExit
        history = RestartHistory(times: saved.recentRestartsWallMs.map { now + .milliseconds($0 - wallNowMs) })
        if saved.errored {
            hasSpawned = true
            transition(to: .errored, at: now)
        }
    }

    // MARK: Internals

    private mutating func transition(to newState: WorkerState, at now: MonotonicTime) {
        state = newState
        stateSince = now
    }

    private mutating func beginStop(_ intent: StopIntent, graceful: Bool, at now: MonotonicTime, drainReason: String? = nil)
        -> [Action]
    {
        self.intent = intent
        transition(to: .stopping, at: now)
        killDeadline = now + limits.stopTimeout
        killSent = false
        guard graceful else { return [.terminate] }
        if !speaksProtocol { return [.terminate] }
        let reason: String
        switch intent {
        case .restart(let exitReason): reason = drainReason ?? exitReason.kind
        case .stop: reason = drainReason ?? "shutdown"
        }
        return [.drain(reason: reason)]
    }

    private mutating func restart(for reason: ExitReason, at now: MonotonicTime) -> [Action] {
        lastExit = reason
        if reason == .operatorRestart || reason == .reload {
            transition(to: .backoff, at: now)
            restartAt = now
            return [.spawn]
        }
        switch policy.decide(exitAt: now, history: &history) {
        case .restart(let at):
            transition(to: .backoff, at: now)
            restartAt = at
            return at <= now ? [.spawn] : []
        case .giveUp:
            restartAt = nil
            transition(to: .errored, at: now)
            return []
        }
    }
}
