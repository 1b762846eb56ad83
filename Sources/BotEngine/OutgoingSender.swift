import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem

/// Every call the bot makes to the Bot API on behalf of a chat goes through here: the bot-wide
/// and per-chat rate limits, the 429 pause (exactly `retry_after`, then a lower rate that
/// recovers), and the circuit breaker that stops hammering an API that keeps failing.
actor OutgoingSender {
    private var limiter: OutgoingRateLimiter
    private var breaker = CircuitBreaker(failureThreshold: 5, openDuration: .seconds(10))
    private let client: BotAPIClient
    private let stats: BotStats

    /// The breaker is open: the call was not made, so it is no attempt of the job's.
    struct BreakerOpen: Error, CustomStringConvertible {
        /// When a call may be let through again (at least a short pause, so a job waiting for
        /// a half-open breaker's probe does not spin).
        var retryIn: Duration
        var description: String { "circuit breaker open: the Bot API failed repeatedly; probing again shortly" }
    }

    init(client: BotAPIClient, rate: BotSettings.Rate, stats: BotStats) {
        self.client = client
        self.stats = stats
        self.limiter = OutgoingRateLimiter(perSecond: rate.perSecond, perChatPerSecond: rate.perChatPerSecond, now: .now())
    }

    func reconfigure(_ rate: BotSettings.Rate) {
        limiter.reconfigure(perSecond: rate.perSecond, perChatPerSecond: rate.perChatPerSecond, now: .now())
    }

    /// Makes one call for `chatID`, waiting for the rate limits first. A 429 is obeyed and the
    /// call repeated (up to 5 times); any other failure is thrown for the job's retry policy.
    func perform<Result: Sendable>(
        chatID: Int64, _ call: @Sendable (BotAPIClient) async throws(BotAPIError) -> Result
    ) async throws -> Result {
        var throttles = 0
        while true {
            let now = MonotonicTime.now()
            guard breaker.allowsCall(now: now) else {
                publishBreaker()
                throw BreakerOpen(retryIn: max(breaker.refusalRemaining(now: now) ?? .zero, .milliseconds(250)))
            }
            let wait = limiter.delay(chatID: chatID, now: now)
            if wait > .zero {
                try await Task.sleep(for: wait)
                continue
            }
            do {
                let result = try await call(client)
                breaker.recordSuccess()
                publishBreaker()
                return result
            } catch {
                if let seconds = error.retryAfter, throttles < 5 {
                    throttles += 1
                    limiter.throttled(retryAfter: .seconds(max(seconds, 0)), now: .now())
                    BotStats.add(stats.rateLimited)
                    continue
                }
                if error.isTransient { breaker.recordFailure(now: .now()) }
                publishBreaker()
                throw error
            }
        }
    }

    private func publishBreaker() {
        let value: UInt64 =
            switch breaker.state {
            case .closed: 0
            case .open: 1
            case .halfOpen: 2
            }
        stats.breakerState.store(value, ordering: .relaxed)
    }
}
