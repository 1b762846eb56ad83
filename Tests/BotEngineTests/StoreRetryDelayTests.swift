import Testing

@testable import BotEngine

/// The waits between store calls that keep failing: doubling from the first failure, capped.
@Suite struct StoreRetryDelayTests {
    @Test func aStepOfTheWorkRetriesSoonAndNeverWaitsMoreThanTwoSeconds() {
        #expect(StoreRetryDelay.step(afterFailures: 1) == .milliseconds(200))
        #expect(StoreRetryDelay.step(afterFailures: 2) == .milliseconds(400))
        #expect(StoreRetryDelay.step(afterFailures: 4) == .milliseconds(1600))
        #expect(StoreRetryDelay.step(afterFailures: 5) == .seconds(2))
        #expect(StoreRetryDelay.step(afterFailures: 1_000) == .seconds(2), "no overflow however long the outage")
    }

    @Test func whatWaitsAnywayStartsSlowerAndStopsAtThreeSeconds() {
        #expect(StoreRetryDelay.idle(afterFailures: 1) == .milliseconds(400))
        #expect(StoreRetryDelay.idle(afterFailures: 3) == .milliseconds(1600))
        #expect(StoreRetryDelay.idle(afterFailures: 4) == .seconds(3))
        #expect(StoreRetryDelay.idle(afterFailures: Int.max) == .seconds(3))
    }
}
