import BotmasterControl
import BotmasterSystem
import Glibc
import RedisServerFixture

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Takeover after `kill -9` of a master: `masters` real masters share one real `redis-server`
/// and a fleet of `bots` polling echo bots on the sandbox, with the default lease. Each round
/// kills the master running the most bots, at once sends a message to one of its bots, and
/// times the kill → the reply (sent by the member that took the bot over); then starts the
/// killed master again in its home and waits until it has rejoined and runs bots again.
struct ClusterTakeover {
    let masters: Int
    let bots: Int
    let kills: Int

    struct Result {
        var takeovers: [Duration]
    }

    private struct Injected: Encodable {
        var chat_id: Int64
        var text: String
    }

    func run() async throws -> Result {
        let redis = try RedisServerProcess()
        defer { redis.tearDown() }
        let sandbox = try BenchmarkSandbox(binaries: BenchmarkFleet.binaries)
        defer { sandbox.stop() }
        let apiBase = sandbox.apiBase
        var fleets: [BenchmarkFleet] = []
        defer { for fleet in fleets { fleet.tearDown(keepHome: false) } }
        for index in 0..<masters {
            let fleet = try BenchmarkFleet(workers: bots) { bot in
                """
                token_env = "BENCH_TOKEN"
                mode = "polling"
                api_base = "\(apiBase)"
                [env]
                BENCH_TOKEN = "\(bot + 1):takeover"
                [batch]
                quiet = "0s"
                [limits]
                heartbeat_interval = "1s"
                """
            }
            fleet.environment = [
                "REDIS_URL": redis.urlText, "BOTMASTER_CLUSTER": "1", "BOTMASTER_NODE": "node\(index)",
                "BOTMASTER_FLEET": "bench-takeover",
            ]
            try fleet.startMaster()
            fleets.append(fleet)
        }
        let http = try KeepAliveHTTP(port: sandbox.port)
        var takeovers: [Duration] = []
        for round in 0..<kills {
            let running = try await waitForSplit(fleets, rejoined: nil)
            guard let victim = running.indices.max(by: { running[$0].count < running[$1].count }), let bot = running[victim].first
            else { throw BenchmarkFleet.Failure(description: "no master runs a bot") }
            let botNumber = (Int(bot.dropFirst("bot".count)) ?? 0) + 1
            let before = try sandbox.sent(bot: botNumber, http).count
            kill(fleets[victim].masterPID, SIGKILL)
            let killed = MonotonicTime.now()
            var status: Int32 = 0
            waitpid(fleets[victim].masterPID, &status, 0)
            let body = try JSONEncoder().encode(Injected(chat_id: Int64(1000 + round), text: "takeover \(round)"))
            _ = try http.request("POST", "/sandbox/bots/\(botNumber)/messages", body: String(decoding: body, as: UTF8.self))
            while try sandbox.sent(bot: botNumber, http).count == before {
                guard MonotonicTime.now() - killed < .seconds(120) else {
                    throw BenchmarkFleet.Failure(description: "bot\(botNumber - 1) did not answer within 120 s of the kill")
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            takeovers.append(MonotonicTime.now() - killed)
            try fleets[victim].startMaster()
            _ = try await waitForSplit(fleets, rejoined: victim)
        }
        return Result(takeovers: takeovers)
    }

    /// Waits until every bot runs on exactly one master (and, after a restart, the restarted
    /// master runs some again); returns the bots each master runs.
    private func waitForSplit(_ fleets: [BenchmarkFleet], rejoined: Int?) async throws -> [[String]] {
        let deadline = MonotonicTime.now() + .seconds(180)
        while MonotonicTime.now() < deadline {
            let running = fleets.map { fleet in
                ((try? fleet.client.send(.status).status)?.workers ?? []).filter { $0.state == "running" }.map(\.id)
            }
            let all = running.joined()
            if all.count == bots, Set(all).count == bots, rejoined.map({ !running[$0].isEmpty }) ?? true { return running }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BenchmarkFleet.Failure(description: "the bots were not split over the masters within 180 s")
    }
}
