import BotmasterControl
import BotmasterSystem
import Glibc
import RedisServerFixture
import Testing

/// Cluster mode with two masters in two homes on this machine sharing one real redis-server
/// (the issue's quickest set-up; several hosts in network namespaces are the next step): each
/// bot runs on exactly one master, a `kill -9` of one master hands its bots to the other once
/// their leases expire, and a graceful stop hands them over at once.
@Suite(.serialized) struct ClusterEndToEndTests {
    static let bots: [Int64] = [501, 502, 503, 504, 505, 506]
    static let leaseTTL = "4s"

    /// Both masters' fleets: the same six echo bots, state in Redis.
    static func startMasters(redis: RedisServerProcess) throws -> (TestFleet, TestFleet, SandboxProcess) {
        let first = try TestFleet(workers: [:])
        let second = try TestFleet(workers: [:])
        let sandbox = try SandboxProcess(directory: first.home)
        for fleet in [first, second] {
            for bot in bots {
                try fleet.write(
                    id: "bot\(bot)",
                    """
                    token_env = "TOKEN_\(bot)"
                    api_base = "\(sandbox.apiBase)"
                    [batch]
                    quiet = "0s"
                    [limits]
                    heartbeat_interval = "200ms"
                    """)
            }
        }
        for (fleet, node) in [(first, "alpha"), (second, "beta")] {
            var environment = [
                "REDIS_URL": redis.urlText, "BOTMASTER_FLEET": "cluster-test", "BOTMASTER_CLUSTER": "1", "BOTMASTER_NODE": node,
                "BOTMASTER_LEASE_TTL": leaseTTL,
            ]
            for bot in bots { environment["TOKEN_\(bot)"] = "\(bot):cluster-secret" }
            try fleet.startMaster(environment: environment)
        }
        return (first, second, sandbox)
    }

    static let all = Set(bots.map { "bot\($0)" })

    /// Waits until every bot polls on exactly one of the two masters, and each has some.
    static func waitForTheSplit(_ alpha: TestFleet, _ beta: TestFleet) async throws {
        try await waitUntil("the two masters split the six bots") {
            let (one, two) = (polling(alpha), polling(beta))
            return one.union(two) == all && one.isDisjoint(with: two) && !one.isEmpty && !two.isEmpty
        }
    }

    /// The bots polling on `fleet` now.
    static func polling(_ fleet: TestFleet) -> Set<String> {
        guard let status = try? fleet.client.send(.status).status else { return [] }
        return Set(status.workers.filter { $0.bot?.source == "polling" }.map(\.id))
    }

    static func waitUntil(
        _ what: String, timeout: Duration = .seconds(40), sourceLocation: SourceLocation = #_sourceLocation, _ condition: () -> Bool
    ) async throws {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            if condition() { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("timed out waiting until \(what)", sourceLocation: sourceLocation)
        throw TestFleet.TimedOut()
    }

    /// Sends one message to every bot on chat `chat` and waits until each answered it once.
    static func everyBotAnswers(_ sandbox: SandboxProcess, chat: Int64, _ text: String) async throws {
        for bot in bots { _ = try sandbox.send(bot: bot, chat: chat, text) }
        for bot in bots {
            let sent = try await sandbox.waitForSent(bot: bot, chat: chat, count: 1, timeout: .seconds(30))
            #expect(sent.map(\.text) == [text], "bot \(bot)")
        }
    }

    @Test func eachBotRunsOnOneMasterAndTheSurvivorTakesAKilledMastersBots() async throws {
        let redis = try RedisServerProcess()
        let (alpha, beta, sandbox) = try Self.startMasters(redis: redis)
        defer {
            sandbox.stop()
            alpha.tearDown()
            beta.tearDown()
            redis.tearDown()
        }
        try await Self.waitForTheSplit(alpha, beta)
        try await Self.everyBotAnswers(sandbox, chat: 1, "before")

        let status = try #require(try alpha.client.send(.status).status)
        let cluster = try #require(status.master.cluster)
        #expect(cluster.node == "alpha")
        #expect(cluster.ok)
        #expect(Set(cluster.members.map(\.node)) == ["alpha", "beta"])
        #expect(cluster.waiting.isEmpty)
        #expect(cluster.warnings.isEmpty, "same fleet, same digest: \(cluster.warnings)")
        #expect(Set(cluster.members.flatMap { $0.bots.map(\.bot) }) == Self.all)
        #expect(cluster.members.allSatisfy { $0.bots.allSatisfy { $0.epoch >= 1 } })
        let api = try HTTPGet.get(port: alpha.statusPort, path: "/api/cluster/status")
        #expect(api.status == 200)
        #expect(api.body.contains(#""members":"#) && api.body.contains(#""lease_ttl_ms":4000"#), "\(api.body)")
        let (_, table) = try alpha.run(["status", "--cluster"])
        #expect(table.contains("alpha") && table.contains("beta"), "\(table)")
        let metrics = try HTTPGet.get(port: alpha.statusPort, path: "/metrics").body
        #expect(metrics.contains("botmaster_cluster_members 2"), "\(metrics)")

        // kill -9 of alpha: its workers drain on their own (parent-death signal); its leases
        // expire and beta takes every bot.
        let moved = Self.polling(alpha)
        kill(try #require(alpha.masterPID), SIGKILL)
        _ = alpha.waitFor(try #require(alpha.masterPID))
        try await Self.waitUntil("beta runs every bot") { Self.polling(beta) == Self.all }
        try await Self.everyBotAnswers(sandbox, chat: 2, "after")
        let taken = try #require(try beta.client.send(.status).status?.master.cluster)
        #expect(Set(taken.members.map(\.node)) == ["beta"], "alpha's membership expired")
        let takeovers = try HTTPGet.get(port: beta.statusPort, path: "/metrics").body
        #expect(takeovers.contains("botmaster_cluster_takeovers_total \(moved.count)"), "\(moved)")
        // Every message answered exactly once.
        for bot in Self.bots { #expect(try sandbox.sent(bot: bot).count == 2, "bot \(bot)") }
    }

    @Test func aGracefulStopHandsTheBotsOverAtOnce() async throws {
        let redis = try RedisServerProcess()
        let (alpha, beta, sandbox) = try Self.startMasters(redis: redis)
        defer {
            sandbox.stop()
            alpha.tearDown()
            beta.tearDown()
            redis.tearDown()
        }
        try await Self.waitForTheSplit(alpha, beta)
        let (code, output) = try alpha.run(["stop"])
        #expect(code == 0, "\(output)")
        let stopped = MonotonicTime.now()
        try await Self.waitUntil("beta runs every bot") { Self.polling(beta) == Self.all }
        // Released, not expired: well under the lease TTL after alpha was gone.
        #expect(MonotonicTime.now() - stopped < .seconds(4), "took \(MonotonicTime.now() - stopped)")
        try await Self.everyBotAnswers(sandbox, chat: 3, "handed over")
        for bot in Self.bots { #expect(try sandbox.sent(bot: bot).count == 1, "bot \(bot)") }
    }
}
