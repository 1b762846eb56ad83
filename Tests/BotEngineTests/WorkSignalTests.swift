import BotmasterSystem
import Testing

@testable import BotEngine

/// The take-wait of the in-worker stores: a time limit is no notification, and a woken taker
/// does not wake anyone again (a wake-up that caused the next one made every worker spin).
@Suite struct WorkSignalTests {
    @Test func aLimitThatPassesWakesOnlyItsTakerAndIsNoNotification() async {
        let signal = WorkSignal()
        let seen = signal.generation
        let started = MonotonicTime.now()
        await signal.wait(after: seen, upTo: .milliseconds(30))
        #expect(MonotonicTime.now() - started >= .milliseconds(30))
        #expect(signal.generation == seen)
    }

    @Test func aNotifiedTakerWakesAtOnceAndItsCancelledLimitWakesNobody() async throws {
        let signal = WorkSignal()
        let seen = signal.generation
        // A limit far beyond any stall of the shared test pool: waking by the notification, not
        // the limit, is what is measured.
        let waiting = Task { await signal.wait(after: seen, upTo: .seconds(300)) }
        try await Task.sleep(for: .milliseconds(50))
        let started = MonotonicTime.now()
        signal.notify()
        await waiting.value
        #expect(MonotonicTime.now() - started < .seconds(100))
        // The woken taker cancelled its timer; that must not count as another notification.
        try await Task.sleep(for: .milliseconds(100))
        #expect(signal.generation == seen + 1)
    }

    @Test func aNotificationBeforeTheWaitIsNotMissed() async {
        let signal = WorkSignal()
        let seen = signal.generation
        signal.notify()
        let started = MonotonicTime.now()
        await signal.wait(after: seen, upTo: .seconds(300))
        #expect(MonotonicTime.now() - started < .seconds(100))
    }
}
