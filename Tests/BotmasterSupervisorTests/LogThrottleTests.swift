import BotmasterSystem
import Testing

@testable import BotmasterSupervisor

@Suite struct LogThrottleTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)

    @Test func repeatsWithinTheWindowAreSuppressedAndSummarized() {
        let throttle = LogThrottle(window: .seconds(30))
        let key = LogThrottle.key(level: "error", message: "worker exited", metadata: [("bot", "a"), ("pid", "1")])
        #expect(throttle.admit(key: key, summary: "error worker exited bot=a", now: start))
        for second in 1...5 { #expect(!throttle.admit(key: key, summary: "x", now: start + .seconds(second))) }
        #expect(throttle.drainSummaries(now: start + .seconds(6)) == ["suppressed 5 repeats of: error worker exited bot=a"])
        #expect(throttle.drainSummaries(now: start + .seconds(7)) == [], "each suppressed event is counted once")
        #expect(throttle.admit(key: key, summary: "x", now: start + .seconds(31)), "after the window the line is written again")
    }

    @Test func volatileMetadataDoesNotMakeEventsDifferent() {
        let first = LogThrottle.key(level: "warning", message: "m", metadata: [("bot", "a"), ("pid", "1"), ("restart_in_ms", "44999")])
        let second = LogThrottle.key(level: "warning", message: "m", metadata: [("bot", "a"), ("pid", "2"), ("restart_in_ms", "45000")])
        let otherBot = LogThrottle.key(level: "warning", message: "m", metadata: [("bot", "b"), ("pid", "1")])
        #expect(first == second)
        #expect(first != otherBot)
    }

    @Test func quietEventsAreForgotten() {
        let throttle = LogThrottle(window: .seconds(30))
        #expect(throttle.admit(key: "k", summary: "s", now: start))
        #expect(throttle.drainSummaries(now: start + .seconds(60)) == [])
        #expect(throttle.admit(key: "k", summary: "s", now: start + .seconds(61)))
    }
}
