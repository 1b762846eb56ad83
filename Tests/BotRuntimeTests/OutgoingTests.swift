import BotmasterSystem
import Testing

@testable import BotRuntime

@Suite struct OutgoingRateLimiterTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)

    @Test func perChatLimitSpacesMessagesToOneChat() {
        var limiter = OutgoingRateLimiter(perSecond: 30, perChatPerSecond: 1, now: start)
        let result1 = limiter.delay(chatID: 1, now: start)
        #expect(result1 == .zero)
        let result2 = limiter.delay(chatID: 1, now: start)
        #expect(result2 == .seconds(1))
        let result3 = limiter.delay(chatID: 2, now: start)
        #expect(result3 == .zero, "another chat is not held up")
        let result4 = limiter.delay(chatID: 1, now: start + .seconds(1))
        #expect(result4 == .zero)
    }

    @Test func botWideLimitCapsTheSumOverChats() {
        var limiter = OutgoingRateLimiter(perSecond: 30, perChatPerSecond: 1, now: start)
        var sent = 0
        for chat in 0..<100 where limiter.delay(chatID: Int64(chat), now: start) == .zero { sent += 1 }
        #expect(sent == 30)
    }

    @Test func a429PausesExactlyRetryAfterThenRecoversTheRate() {
        var limiter = OutgoingRateLimiter(perSecond: 30, perChatPerSecond: 1, now: start)
        limiter.throttled(retryAfter: .seconds(7), now: start)
        let result5 = limiter.delay(chatID: 1, now: start)
        #expect(result5 == .seconds(7))
        let result6 = limiter.delay(chatID: 1, now: start + .seconds(6))
        #expect(result6 == .seconds(1))
        #expect(limiter.currentRate == 15)
        let result7 = limiter.delay(chatID: 1, now: start + .seconds(7))
        #expect(result7 == .zero)
        for step in 1...20 { _ = limiter.delay(chatID: Int64(step + 100), now: start + .seconds(7 + 10 * step)) }
        #expect(limiter.currentRate == 30, "back to the configured rate without further 429s")
        #expect(limiter.throttledCount == 1)
    }
}

@Suite struct BroadcastRateTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000)

    @Test func aBroadcastKeepsWithinItsShareOfTheBotRate() {
        var limiter = OutgoingRateLimiter(perSecond: 30, perChatPerSecond: 1, broadcastPerSecond: 1000, broadcastShare: 0.5, now: start)
        #expect(limiter.broadcastRateInForce == 15)
        var sent = 0
        var now = start
        // Ten seconds of a broadcast that always has a next chat.
        while now < start + .seconds(10) {
            let wait = limiter.broadcastDelay(chatID: Int64(sent + 1), now: now)
            if wait == .zero { sent += 1 } else { now = now + wait }
        }
        #expect((150...152).contains(sent), "15 a second and the first tenth-second burst, got \(sent)")
    }

    @Test func a429SlowsTheBroadcastAndPausesItExactly() {
        var limiter = OutgoingRateLimiter(perSecond: 100, perChatPerSecond: 1, broadcastPerSecond: 50, broadcastShare: 0.9, now: start)
        #expect(limiter.broadcastRateInForce == 50)
        limiter.throttled(retryAfter: .seconds(3), now: start)
        // Calls already in flight answer 429 too: the pause grows, the rate halves once.
        limiter.throttled(retryAfter: .seconds(3), now: start + .milliseconds(10))
        #expect(limiter.currentRate == 50)
        #expect(limiter.broadcastRateInForce == 45)
        #expect(limiter.broadcastDelay(chatID: 1, now: start + .seconds(1)) == .milliseconds(2010))
        #expect(limiter.delay(chatID: 2, now: start + .seconds(3)) == .milliseconds(10), "replies wait out the same pause")
        #expect(limiter.broadcastDelay(chatID: 1, now: start + .milliseconds(3010)) == .zero)
    }

    @Test func aBroadcastTakesTheChatsToken() {
        var limiter = OutgoingRateLimiter(perSecond: 30, perChatPerSecond: 1, now: start)
        #expect(limiter.broadcastDelay(chatID: 7, now: start) == .zero)
        #expect(limiter.delay(chatID: 7, now: start) == .seconds(1), "Telegram's one message a second per chat holds for both")
    }
}

@Suite struct RetryBackoffTests {
    @Test func ceilingsDoubleUpToTheMaximum() {
        let backoff = RetryBackoff(baseDelay: .milliseconds(500), maxDelay: .seconds(3), maxAttempts: 6)
        #expect(
            (1...6).map { backoff.ceiling(beforeAttempt: $0) } == [
                .zero, .milliseconds(500), .seconds(1), .seconds(2), .seconds(3), .seconds(3),
            ])
    }

    @Test func delaysStayInTheUpperHalfOfTheCeilingAndEndAfterMaxAttempts() {
        let backoff = RetryBackoff(baseDelay: .milliseconds(500), maxDelay: .seconds(30), maxAttempts: 3)
        var random = SystemRandomNumberGenerator()
        for _ in 0..<100 {
            let delay = backoff.delay(beforeAttempt: 3, using: &random)!
            #expect(delay >= .milliseconds(500) && delay <= .seconds(1))
        }
        #expect(backoff.delay(beforeAttempt: 4, using: &random) == nil)
        #expect(backoff.delay(beforeAttempt: 1, using: &random) == .zero, "the first attempt does not wait")
    }
}

@Suite struct CircuitBreakerTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)

    @Test func opensAfterConsecutiveFailuresProbesThenCloses() {
        var breaker = CircuitBreaker(failureThreshold: 3, openDuration: .seconds(10))
        for _ in 0..<2 { breaker.recordFailure(now: start) }
        breaker.recordSuccess()
        for _ in 0..<2 { breaker.recordFailure(now: start) }
        #expect(breaker.state == .closed, "failures must be consecutive")
        breaker.recordFailure(now: start)
        #expect(breaker.state == .open)
        let result8 = breaker.allowsCall(now: start + .seconds(9))
        #expect(!result8)
        let result9 = breaker.allowsCall(now: start + .seconds(10))
        #expect(result9, "one probe after the open period")
        #expect(breaker.state == .halfOpen)
        let result10 = breaker.allowsCall(now: start + .seconds(10))
        #expect(!result10, "only one probe at a time")
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
    }

    @Test func failedProbeOpensAgain() {
        var breaker = CircuitBreaker(failureThreshold: 1, openDuration: .seconds(10))
        breaker.recordFailure(now: start)
        let result11 = breaker.allowsCall(now: start + .seconds(10))
        #expect(result11)
        breaker.recordFailure(now: start + .seconds(10))
        #expect(breaker.state == .open)
        let result12 = breaker.allowsCall(now: start + .seconds(19))
        #expect(!result12)
    }
}
