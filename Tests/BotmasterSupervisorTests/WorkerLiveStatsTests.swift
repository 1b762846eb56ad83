import BotmasterIPC
import BotmasterSystem
import Testing

@testable import BotmasterSupervisor

/// The heartbeat record the I/O thread writes and the tick reads, and the state counts the
/// tick makes for the status line.
@Suite struct WorkerLiveStatsTests {
    @Test func theNewestHeartbeatAndItsArrivalAreKept() {
        let stats = WorkerLiveStats()
        #expect(stats.receivedAt == nil)
        #expect(stats.heartbeat == nil)
        let heartbeat = Heartbeat(uptimeMs: 10, messages: 2, errors: 1, extra: [7])
        let at = MonotonicTime(nanoseconds: 123_456_789)
        stats.record(heartbeat, at: at)
        #expect(stats.receivedAt == at)
        #expect(stats.heartbeat == heartbeat)
        let later = MonotonicTime(nanoseconds: 223_456_789)
        let next = Heartbeat(uptimeMs: 110, messages: 3, errors: 1)
        stats.record(next, at: later)
        #expect(stats.receivedAt == later)
        #expect(stats.heartbeat == next)
    }

    @Test func stateCountsCountEachStateApartAndCompareByCounts() {
        let counts = WorkerStateCounts([.running, .running, .errored, .backoff, .running])
        #expect(counts[.running] == 3)
        #expect(counts[.errored] == 1)
        #expect(counts[.backoff] == 1)
        #expect(counts[.starting] == 0 && counts[.stopping] == 0 && counts[.stopped] == 0)
        #expect(counts == WorkerStateCounts([.backoff, .running, .errored, .running, .running]))
        #expect(counts != WorkerStateCounts([.running, .running, .errored, .errored, .running]))
        #expect(WorkerStateCounts() == WorkerStateCounts([]))
    }
}
