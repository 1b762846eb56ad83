import BotmasterControl
import Testing

@testable import BotmasterCLI

@Suite struct TopScreenTests {
    static func status(_ rows: [(id: String, cpu: Double?, messages: UInt64)]) -> FleetStatus {
        FleetStatus(
            master: MasterStatus(pid: 1, uptimeMs: 1000, version: "v", workersTotal: rows.count, workersRunning: rows.count),
            workers: rows.map {
                WorkerStatus(
                    id: $0.id, pid: 2, state: "running", restarts: 0, lastExit: nil, uptimeMs: 1000, rssBytes: 1 << 20,
                    messages: $0.messages, errors: 0, lastHeartbeatMsAgo: 10, pssBytes: 1 << 19, cpuPercent: $0.cpu)
            })
    }

    @Test func busiestFirstWithTheMessageRateSinceTheFrameBefore() {
        var screen = TopScreen()
        _ = screen.render(Self.status([("a", 1, 0), ("b", 50, 0), ("c", nil, 0)]), now: 10, width: 200, height: 50, interval: 2)
        let lines = screen.render(
            Self.status([("a", 1, 40), ("b", 50, 0), ("c", nil, 10)]), now: 12, width: 200, height: 50, interval: 2)
        #expect(lines[0].hasPrefix("botmaster top: master pid 1, up 1s, 3/3 running"))
        #expect(lines[1].hasPrefix("workers: CPU 51% of one core, PSS 1.5MB; every 2s"))
        let rows = lines.dropFirst(4).map { $0.split(separator: " ").map(String.init) }
        #expect(rows.map(\.first) == ["b", "a", "c"])
        #expect(rows[1][6] == "20.0", "40 messages in 2 s")
        #expect(rows[2][3] == "-", "no CPU figure yet")
    }

    @Test func aFleetTallerThanTheScreenIsCutWithACount() {
        var screen = TopScreen()
        let lines = screen.render(
            Self.status((0..<30).map { ("bot\($0)", Double($0), 0) }), now: 1, width: 40, height: 12, interval: 1)
        #expect(lines.count <= 12)
        #expect(lines.last == "… 24 more")
        #expect(lines.allSatisfy { $0.count <= 40 })
    }
}
