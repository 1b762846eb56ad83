import BotmasterControl
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite struct FleetStatusJSONTests {
    static func reference(_ status: FleetStatus) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(status))
    }

    @Test func handWrittenJSONIsExactlyWhatJSONEncoderWrites() throws {
        let status = FleetStatus(
            master: MasterStatus(
                pid: 42, uptimeMs: 123_456_789, version: "0.1.0", workersTotal: 3, workersRunning: 1, reloads: 7,
                lastReload: ReloadStatus(atMs: 1_795_000_000_123, ok: false, message: "rejected: workers/a.toml: \"x\"\n\tcontrol \u{01}")),
            workers: [
                WorkerStatus(
                    id: "a", pid: 10, state: "running", restarts: 0, lastExit: nil, uptimeMs: 0, rssBytes: 13_000_000,
                    messages: UInt64.max, errors: 9, lastHeartbeatMsAgo: -5, memoryLimitBytes: 157_286_400,
                    pssBytes: 4_100_000, ussBytes: 900_000, cpuPercent: 12.3, cpuSeconds: 1234.56, processes: 2,
                    bot: BotCounters(heartbeatExtra: [1, 2, 3, 4, 5, 6, 7, 2, 9, 10, 11, 3])),
                WorkerStatus(
                    id: "b-é", pid: nil, state: "errored", restarts: 5, lastExit: "protocol error: \"x\\y\" é 🤖", uptimeMs: nil,
                    rssBytes: nil, messages: 0, errors: 0, lastHeartbeatMsAgo: nil, memoryLimitBytes: nil),
            ])
        #expect(status.compactJSON() == (try Self.reference(status)))
        let empty = FleetStatus(master: MasterStatus(pid: 1, uptimeMs: 0, version: "v", workersTotal: 0, workersRunning: 0), workers: [])
        #expect(empty.compactJSON() == (try Self.reference(empty)))
        #expect(try JSONDecoder().decode(FleetStatus.self, from: Data(status.compactJSON())) == status)
        var sourced = status
        sourced.master.fleetSource = FleetSourceStatus(
            url: "https://platform.example/fleet", ok: false, bots: 12, error: "HTTP 500 \"x\"", lastAttemptMs: 5,
            lastSuccessMs: 3, failingSinceMs: 4, requests: 9, applied: 2)
        #expect(sourced.compactJSON() == (try Self.reference(sourced)))
        sourced.master.fleetSource = FleetSourceStatus(url: "http://h/f")
        #expect(sourced.compactJSON() == (try Self.reference(sourced)))
        var clustered = sourced
        clustered.master.cluster = ClusterStatus(
            node: "a", leaseTTLMs: 15_000, observedMs: 7, ok: true,
            members: [
                ClusterMember(
                    node: "a", address: "10.0.0.1:3001", capacity: 500, renewedMs: 6, fleetDigest: "f/0",
                    bots: [ClusterLease(bot: "x", epoch: 3)])
            ],
            waiting: ["y"], warnings: ["w"])
        #expect(clustered.compactJSON() == (try Self.reference(clustered)))
        #expect(try JSONDecoder().decode(FleetStatus.self, from: Data(clustered.compactJSON())) == clustered)
        for cpu in [0, 100, 0.1, 250.5, 99.9, 1e-3, 3.0e7] {
            var sampled = status
            sampled.workers[0].cpuPercent = cpu
            sampled.workers[0].cpuSeconds = cpu * 7
            #expect(sampled.compactJSON() == (try Self.reference(sampled)), "\(cpu)")
        }
    }
}
