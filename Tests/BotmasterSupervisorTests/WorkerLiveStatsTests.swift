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
        _ = stats.record(heartbeat, at: at)
        #expect(stats.receivedAt == at)
        #expect(stats.heartbeat == heartbeat)
        let later = MonotonicTime(nanoseconds: 223_456_789)
        let next = Heartbeat(uptimeMs: 110, messages: 3, errors: 1)
        _ = stats.record(next, at: later)
        #expect(stats.receivedAt == later)
        #expect(stats.heartbeat == next)
    }

    @Test func aHeartbeatSaysWhenItNamesAnotherUpdateSource() {
        let stats = WorkerLiveStats()
        let at = MonotonicTime(nanoseconds: 1)
        #expect(!stats.record(Heartbeat(uptimeMs: 1, messages: 0, errors: 0), at: at), "a plain worker names no source")
        let polling = [UInt64](repeating: 0, count: 11) + [1] + [UInt64](repeating: 0, count: 5)
        #expect(stats.record(Heartbeat(uptimeMs: 2, messages: 0, errors: 0, extra: polling), at: at))
        #expect(!stats.record(Heartbeat(uptimeMs: 3, messages: 0, errors: 0, extra: polling), at: at))
        var webhook = polling
        webhook[11] = 2
        #expect(stats.record(Heartbeat(uptimeMs: 4, messages: 0, errors: 0, extra: webhook), at: at))
    }

    @Test func heartbeatsOnThePageAreTakenAsTheyWouldBeFromTheChannel() throws {
        let (page, fd) = try SharedCounterPage.create(name: "test-heartbeats")
        defer { Descriptors.close(fd) }
        let worker = try SharedCounterPage(mapping: fd)
        let stats = WorkerLiveStats(page: page)
        let first = MonotonicTime(nanoseconds: 5_000)
        #expect(stats.readPage(at: first) == .nothing)
        #expect(stats.receivedAt == nil)

        let heartbeat = Heartbeat(uptimeMs: 1_000, messages: 4, errors: 1, extra: [UInt64](repeating: 0, count: 11) + [2])
        worker.write(heartbeat.counters)
        #expect(stats.readPage(at: first) == .heartbeat(sourceChanged: true))
        #expect(stats.heartbeat == heartbeat)
        #expect(stats.receivedAt == first)
        // Nothing new: the arrival stays when the heartbeat was first seen, so a worker that
        // stops writing ages towards its timeout.
        #expect(stats.readPage(at: MonotonicTime(nanoseconds: 9_000)) == .nothing)
        #expect(stats.receivedAt == first)

        worker.write([1, 2])
        guard case .malformed(let reason) = stats.readPage(at: first) else {
            Issue.record("two counters are no heartbeat")
            return
        }
        #expect(reason.contains("2 counters"))
    }

    @Test func thePageIsNotLookedAtBeforeTheNextHeartbeatIsDue() throws {
        let (page, fd) = try SharedCounterPage.create(name: "test-heartbeats")
        defer { Descriptors.close(fd) }
        let worker = try SharedCounterPage(mapping: fd)
        let stats = WorkerLiveStats(page: page)
        let start = MonotonicTime(nanoseconds: 1_000_000_000)
        worker.write([1, 0, 0])
        #expect(stats.readPage(at: start, notBefore: .seconds(1)) == .heartbeat(sourceChanged: false), "the first is taken at once")
        worker.write([2, 0, 0])
        #expect(stats.readPage(at: start + .milliseconds(500), notBefore: .seconds(1)) == .nothing)
        #expect(stats.heartbeat?.uptimeMs == 1)
        #expect(stats.readPage(at: start + .seconds(1), notBefore: .seconds(1)) == .heartbeat(sourceChanged: false))
        #expect(stats.heartbeat?.uptimeMs == 2)
        #expect(stats.receivedAt == start + .seconds(1))
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
