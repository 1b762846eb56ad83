import BotmasterControl
import Testing

@testable import BotmasterSupervisor

/// The dashboard's history: per-interval counts from cumulative counters, across restarts.
@Suite struct FleetHistoryTests {
    static func worker(_ id: String, pid: Int32?, messages: UInt64, errors: UInt64 = 0, pss: UInt64? = 1000) -> WorkerStatus {
        WorkerStatus(
            id: id, pid: pid, state: pid == nil ? "stopped" : "running", restarts: 0, lastExit: nil, uptimeMs: nil, rssBytes: nil,
            messages: messages, errors: errors, lastHeartbeatMsAgo: nil, pssBytes: pss)
    }

    static func fleet(_ workers: [WorkerStatus]) -> FleetStatus {
        FleetStatus(
            master: MasterStatus(pid: 1, uptimeMs: 0, version: "test", workersTotal: workers.count, workersRunning: workers.count),
            workers: workers)
    }

    @Test func countsWhatHappenedInEachIntervalAndSumsTheFleet() throws {
        let history = FleetHistory(interval: .seconds(30), capacity: 10)
        history.record(Self.fleet([Self.worker("a", pid: 10, messages: 5), Self.worker("b", pid: 20, messages: 7)]), atMs: 1)
        history.record(Self.fleet([Self.worker("a", pid: 10, messages: 9, errors: 1), Self.worker("b", pid: 20, messages: 7)]), atMs: 2)
        let a = try #require(history.series(of: "a"))
        #expect(a.intervalMs == 30_000)
        #expect(a.samples.map(\.messages) == [0, 4], "the first sample has no interval before it")
        #expect(a.samples.map(\.errors) == [0, 1])
        let fleet = try #require(history.series(of: nil))
        #expect(fleet.samples.map(\.messages) == [0, 4])
        #expect(fleet.samples.last?.pssBytes == 2000)
    }

    @Test func aNewProcessCountsFromZeroAndAStoppedOneCountsNothing() throws {
        let history = FleetHistory(interval: .seconds(1), capacity: 10)
        history.record(Self.fleet([Self.worker("a", pid: 10, messages: 50)]), atMs: 1)
        history.record(Self.fleet([Self.worker("a", pid: 11, messages: 3)]), atMs: 2)
        history.record(Self.fleet([Self.worker("a", pid: nil, messages: 3, pss: nil)]), atMs: 3)
        history.record(Self.fleet([Self.worker("a", pid: nil, messages: 3, pss: nil)]), atMs: 4)
        history.record(Self.fleet([Self.worker("a", pid: 12, messages: 2)]), atMs: 5)
        let samples = try #require(history.series(of: "a")).samples
        #expect(samples.map(\.messages) == [0, 3, 0, 0, 2])
        #expect(samples.map(\.pssBytes) == [1000, 1000, nil, nil, 1000])
    }

    @Test func keepsTheLastSamplesAndForgetsRemovedBots() throws {
        let history = FleetHistory(interval: .seconds(1), capacity: 3)
        for step in 1...5 { history.record(Self.fleet([Self.worker("a", pid: 10, messages: UInt64(step))]), atMs: Int64(step)) }
        #expect(try #require(history.series(of: "a")).samples.map(\.atMs) == [3, 4, 5])
        #expect(try #require(history.series(of: nil)).samples.count == 3)
        history.record(Self.fleet([]), atMs: 6)
        #expect(history.series(of: "a") == nil)
    }
}
