import BotmasterControl
import Testing

@testable import BotmasterCLI

@Suite struct StatusTableTests {
    @Test func rendersASummaryAndAlignedRows() {
        let status = FleetStatus(
            master: MasterStatus(pid: 10, uptimeMs: 65_000, version: "0.1.0", workersTotal: 2, workersRunning: 1),
            workers: [
                WorkerStatus(
                    id: "echo", pid: 11, state: "running", restarts: 0, lastExit: nil, uptimeMs: 3_700_000,
                    rssBytes: 5 * 1024 * 1024, messages: 12, errors: 1, lastHeartbeatMsAgo: 800, pssBytes: 1024 * 1024,
                    cpuPercent: 2.5),
                WorkerStatus(
                    id: "support-bot", pid: nil, state: "errored", restarts: 5, lastExit: "exit 3", uptimeMs: nil,
                    rssBytes: nil, messages: 0, errors: 0, lastHeartbeatMsAgo: nil),
            ])
        let lines = StatusTable.render(status).split(separator: "\n").map(String.init)
        #expect(lines[0] == "master pid 10, up 1m05s, version 0.1.0, 1/2 running")
        #expect(lines[1].hasPrefix("ID           PID  STATE    UPTIME  RESTARTS"))
        #expect(
            lines[2].hasPrefix("echo         11   running  1h01m   0         2.5%  1.0MB  5.0MB  12        1       -      800ms ago  -"))
        #expect(
            lines[3].hasPrefix(
                "support-bot  -    errored  -       5         -     -      -      0         0       -      -          exit 3"))
    }

    @Test func theStoreColumnWarnsOfMemoryAndOfAStoreThatFails() {
        func counters(_ store: String) -> BotCounters {
            BotCounters(
                received: 0, duplicates: 0, batches: 0, jobsOK: 0, jobFailures: 0, deadLettered: 0, rateLimited: 0,
                breaker: "closed", handoffs: 0, inFlight: 0, pollConflicts: 0, source: "polling", store: store)
        }
        #expect(StatusTable.storeCell(counters("sqlite")) == "sqlite")
        #expect(StatusTable.storeCell(counters("memory")) == "memory (NOT DURABLE)")
        #expect(StatusTable.storeCell(counters("sqlite_corrupt")) == "SQLITE_CORRUPT")
        #expect(counters("sqlite_full").storeProblem != nil)
        #expect(BotCounters(heartbeatExtra: Array(repeating: 0, count: 12) + [6])?.store == "sqlite_corrupt")
    }

    @Test func statusJSONHasEveryKeyEvenWhenNull() throws {
        let worker = WorkerStatus(
            id: "a", pid: nil, state: "stopped", restarts: 0, lastExit: nil, uptimeMs: nil, rssBytes: nil, messages: 0,
            errors: 0, lastHeartbeatMsAgo: nil)
        let encoded = try JSONTestEncoding.encode(worker)
        for key in [
            "id", "pid", "state", "restarts", "last_exit", "uptime_ms", "rss_bytes", "pss_bytes", "uss_bytes", "cpu_percent",
            "cpu_seconds", "processes", "messages", "errors", "last_heartbeat_ms_ago",
        ] {
            #expect(encoded.contains("\"\(key)\""), "missing \(key)")
        }
    }
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

enum JSONTestEncoding {
    static func encode(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder().encode(value), as: UTF8.self)
    }
}
