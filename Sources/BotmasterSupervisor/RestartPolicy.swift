import BotmasterSystem

/// When a worker that ended should start again, OTP-style: a cooldown between restarts and an
/// intensity limit (at most `maxRestarts` in a rolling `window`), past which the bot is given up
/// on (`errored`) until an operator restarts it.
public struct RestartPolicy: Sendable, Equatable {
    /// Wait between an exit and the next start.
    public var cooldown: Duration
    /// Restarts allowed within `window`; the next exit beyond them gives up.
    public var maxRestarts: Int
    /// The rolling window the limit applies to. One hour by default.
    public var window: Duration

    public init(cooldown: Duration, maxRestarts: Int, window: Duration = .seconds(3600)) {
        self.cooldown = cooldown
        self.maxRestarts = maxRestarts
        self.window = window
    }

    /// What to do about an exit.
    public enum Decision: Sendable, Equatable {
        /// Start again at this time.
        case restart(at: MonotonicTime)
        /// Too many restarts in the window: stop trying.
        case giveUp
    }

    /// Decides about an exit at `now`, given the times of the restarts already made, and records
    /// the restart in `history` when there is one.
    public func decide(exitAt now: MonotonicTime, history: inout RestartHistory) -> Decision {
        history.forget(before: now - window)
        guard history.count < maxRestarts else { return .giveUp }
        history.record(now)
        return .restart(at: now + cooldown)
    }
}

/// The times of recent restarts, oldest first, kept only as long as the policy's window needs.
public struct RestartHistory: Sendable, Equatable {
    private var times: [MonotonicTime] = []

    public init() {}

    init(times: [MonotonicTime]) { self.times = times.sorted() }

    /// The restart times, oldest first.
    var recorded: [MonotonicTime] { times }

    /// Restarts still inside the window.
    public var count: Int { times.count }

    mutating func record(_ time: MonotonicTime) { times.append(time) }

    mutating func forget(before cutoff: MonotonicTime) {
        times.removeAll { $0 < cutoff }
    }

    /// Forgets everything: an operator's restart gives the bot a fresh allowance.
    public mutating func reset() { times.removeAll() }
}

extension MonotonicTime {
    /// This time moved earlier by `duration`, not below zero.
    static func - (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime { lhs + (.zero - rhs) }
}
