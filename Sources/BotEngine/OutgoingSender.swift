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

    /// Replies waiting for a token now: while any does, broadcasts send nothing.
    private var repliesWaiting = 0
    /// Broadcast sends waiting for their turn, by audience position: the lowest goes first,
    /// so a broadcast's calls leave in the order of its list (a call refused with 429 keeps
    /// its place).
    private var broadcastTurns: Set<Int> = []
    private var turnWaiters: [Int: CheckedContinuation<Void, Never>] = [:]

    init(client: BotAPIClient, rate: BotSettings.Rate, stats: BotStats) {
        self.client = client
        self.stats = stats
        self.limiter = OutgoingRateLimiter(
            perSecond: rate.perSecond, perChatPerSecond: rate.perChatPerSecond, broadcastPerSecond: rate.broadcastPerSecond,
            broadcastShare: rate.broadcastShare, now: .now())
    }

    func reconfigure(_ rate: BotSettings.Rate) {
        limiter.reconfigure(perSecond: rate.perSecond, perChatPerSecond: rate.perChatPerSecond, now: .now())
        limiter.setBroadcast(rate: limiter.broadcastRate, share: rate.broadcastShare, now: .now())
    }

    /// The pace of the broadcast about to run.
    func setBroadcastRate(_ perSecond: Double) {
        limiter.setBroadcast(rate: perSecond, share: limiter.broadcastShare, now: .now())
    }

    /// Makes one call of a broadcast to `chatID`: only with what the limits leave (a reply
    /// that waits for a token goes first; the broadcast keeps within its share of the bot's
    /// rate). A 429 pauses replies and broadcast alike, and is obeyed as often as it comes:
    /// a flood of 429s only slows a broadcast down. Any other failure is thrown.
    /// `shouldStop` is asked before each try: a stopping broadcast makes no new call (it
    /// throws `CancellationError`), while a call already made finishes.
    func performBroadcast<Result: Sendable>(
        chatID: Int64, order: Int, shouldStop: @Sendable () -> Bool,
        _ call: @Sendable (BotAPIClient) async throws(BotAPIError) -> Result
    ) async throws -> Result {
        broadcastTurns.insert(order)
        defer { leaveTurn(order) }
        while true {
            if shouldStop() { throw CancellationError() }
            if broadcastTurns.min() != order {
                await withCheckedContinuation { turnWaiters[order] = $0 }
                continue
            }
            let now = MonotonicTime.now()
            try checkBreaker(now: now)
            if repliesWaiting > 0 {
                try await TaskPlacement.sleep(for: .milliseconds(5))
                continue
            }
            let wait = limiter.broadcastDelay(chatID: chatID, now: now)
            if wait > .zero {
                // Short naps, so a reply that starts waiting meanwhile is seen soon.
                try await TaskPlacement.sleep(for: min(wait, .milliseconds(50)))
                continue
            }
            // The next send may take its turn while this call is on its way.
            leaveTurn(order)
            if let result = try await callOnce(call, obeying429: true) { return result }
            // Throttled: it keeps its place in the turns.
            broadcastTurns.insert(order)
        }
    }

    /// Makes one call for `chatID`, waiting for the rate limits first. A 429 is obeyed and the
    /// call repeated (up to 5 times); any other failure is thrown for the job's retry policy.
    func perform<Result: Sendable>(
        chatID: Int64, _ call: @Sendable (BotAPIClient) async throws(BotAPIError) -> Result
    ) async throws -> Result {
        var throttles = 0
        while true {
            let now = MonotonicTime.now()
            try checkBreaker(now: now)
            let wait = limiter.delay(chatID: chatID, now: now)
            if wait > .zero {
                repliesWaiting += 1
                defer { repliesWaiting -= 1 }
                try await TaskPlacement.sleep(for: wait)
                continue
            }
            if let result = try await callOnce(call, obeying429: throttles < 5) { return result }
            throttles += 1
        }
    }

    private func checkBreaker(now: MonotonicTime) throws {
        guard breaker.allowsCall(now: now) else {
            publishBreaker()
            throw BreakerOpen(retryIn: max(breaker.refusalRemaining(now: now) ?? .zero, .milliseconds(250)))
        }
    }

    /// Makes the call and keeps the breaker's books. A 429 (when `obeying429`) pauses the
    /// limiter and returns `nil`: the caller tries again after the pause. Any other failure is
    /// thrown.
    private func callOnce<Result: Sendable>(
        _ call: @Sendable (BotAPIClient) async throws(BotAPIError) -> Result, obeying429: Bool
    ) async throws -> Result? {
        do {
            let result = try await call(client)
            breaker.recordSuccess()
            publishBreaker()
            return result
        } catch {
            if let seconds = error.retryAfter, obeying429 {
                limiter.throttled(retryAfter: .seconds(max(seconds, 0)), now: .now())
                BotStats.add(stats.rateLimited)
                return nil
            }
            if error.isTransient { breaker.recordFailure(now: .now()) }
            publishBreaker()
            throw error
        }
    }

    /// Gives up `order`'s turn (if it holds one) and wakes the send whose turn it is now.
    private func leaveTurn(_ order: Int) {
        broadcastTurns.remove(order)
        if let next = broadcastTurns.min(), let waiter = turnWaiters.removeValue(forKey: next) { waiter.resume() }
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
