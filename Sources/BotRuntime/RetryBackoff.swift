import BotmasterSystem

/// Exponential backoff with equal jitter: attempt n waits a random time in the upper half of
/// `min(maxDelay, baseDelay × 2^(n-2))`, so retries of many jobs spread out instead of hitting
/// a recovering backend together, and each still waits at least half its ceiling (full jitter
/// could retry at once, which is what `base_delay` is there to prevent).
public struct RetryBackoff: Sendable, Equatable {
    public var baseDelay: Duration
    public var maxDelay: Duration
    /// Attempts in all, the first included; after the last one the job is dead-lettered.
    public var maxAttempts: Int

    public init(baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(30), maxAttempts: Int = 3) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = max(maxAttempts, 1)
    }

    /// The ceiling of the wait before `attempt` (2 is the first retry).
    public func ceiling(beforeAttempt attempt: Int) -> Duration {
        guard attempt > 1 else { return .zero }
        var delay = baseDelay
        for _ in 2..<attempt {
            delay = delay * 2
            if delay >= maxDelay { return maxDelay }
        }
        return min(delay, maxDelay)
    }

    /// The wait before `attempt`, or `nil` when the attempts are used up.
    public func delay(beforeAttempt attempt: Int, using random: inout some RandomNumberGenerator) -> Duration? {
        guard attempt <= maxAttempts else { return nil }
        let ceiling = ceiling(beforeAttempt: attempt).nanosecondsClamped
        guard ceiling > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: (ceiling / 2)...ceiling, using: &random))
    }
}
