import BotmasterControl
import BotmasterSystem
import Foundation
import Glibc
import RedisServerFixture
import Testing

/// Cluster mode with two masters in two homes on this machine sharing one real redis-server
/// (the issue's quickest set-up; several hosts in network namespaces are the next step): each
/// bot runs on exactly one master, a `kill -9` of one master hands its bots to the other once
/// their leases expire, and a graceful stop hands them over at once.
@Suite(.serialized) struct ClusterEndToEndTests {
    static let bots: [Int64] = [501, 502, 503, 504, 505, 506]
    static let leaseTTL = "6s"
    static let leaseTTLMs: Int64 = 6000

    /// Webhook mode's ports: each master has its own, and every bot's webhook points at beta's
    /// (a load balancer that sends everything to one member).
    struct WebhookPorts {
        let alpha = LoopbackPort.free()
        let beta = LoopbackPort.free()
        static let secret = "cluster-webhook-secret"
    }

    /// Both masters' fleets: the same six echo bots, state in Redis, polling (or with `webhook`,
    /// by webhook). With `alphaInBackground`, alpha is started as an operator would
    /// (`botmaster start`, which returns once alpha's share runs) before beta joins.
    static func startMasters(
        redis: RedisServerProcess, alphaInBackground: Bool = false, webhook: WebhookPorts? = nil, extra: [String: String] = [:]
    ) throws -> (TestFleet, TestFleet, SandboxProcess) {
        let first = try TestFleet(workers: extra)
        let second = try TestFleet(workers: extra)
        let sandbox = try SandboxProcess(directory: first.home)
        for fleet in [first, second] {
            for bot in bots {
                try fleet.write(
                    id: "bot\(bot)",
                    """
                    token_env = "TOKEN_\(bot)"
                    api_base = "\(sandbox.apiBase)"
                    mode = "\(webhook == nil ? "polling" : "webhook")"
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
            if let webhook {
                environment["WEBHOOK_SECRET"] = WebhookPorts.secret
                environment["WEBHOOK_BIND"] = "127.0.0.1"
                environment["WEBHOOK_PORT"] = "\(node == "alpha" ? webhook.alpha : webhook.beta)"
                environment["WEBHOOK_HOST"] = "http://127.0.0.1:\(webhook.beta)"
            }
            if alphaInBackground && node == "alpha" {
                let (code, output) = try fleet.run(["start"], environment: environment)
                #expect(code == 0, "\(output)")
                #expect(output.contains("master running") && output.contains("6/6 bots running"), "alone, alpha runs all six: \(output)")
            } else {
                try fleet.startMaster(environment: environment)
            }
        }
        return (first, second, sandbox)
    }

    static let all = Set(bots.map { "bot\($0)" })

    /// Runs `body` with both masters started and the bots split between them, then stops all.
    static func withCluster(
        alphaInBackground: Bool = false, webhook: WebhookPorts? = nil, extra: [String: String] = [:],
        _ body: (TestFleet, TestFleet, SandboxProcess, RedisServerProcess) async throws -> Void
    ) async throws {
        let redis = try RedisServerProcess()
        let (alpha, beta, sandbox) = try startMasters(redis: redis, alphaInBackground: alphaInBackground, webhook: webhook, extra: extra)
        defer {
            if alphaInBackground { _ = try? alpha.run(["stop"]) }
            sandbox.stop()
            alpha.tearDown()
            beta.tearDown()
            redis.tearDown()
        }
        try await waitForTheSplit(alpha, beta)
        try await body(alpha, beta, sandbox, redis)
    }

    /// Waits until every bot takes updates (polls, or has its webhook set) on exactly one of the
    /// two masters, and each has some.
    static func waitForTheSplit(_ alpha: TestFleet, _ beta: TestFleet) async throws {
        try await waitUntil("the two masters split the six bots") {
            let (one, two) = (polling(alpha), polling(beta))
            return one.union(two) == all && one.isDisjoint(with: two) && !one.isEmpty && !two.isEmpty
        }
    }

    /// When the master of `fleet` last logged a line containing `text` (Unix ms).
    static func loggedAtMs(_ fleet: TestFleet, _ text: String) -> Int64? {
        let log = String(decoding: FileSystem.readFile("\(fleet.home)/logs/master.log") ?? [], as: UTF8.self)
        guard let line = log.split(separator: "\n").last(where: { $0.contains(text) }), let stamp = line.split(separator: " ").first
        else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: String(stamp)).map { Int64($0.timeIntervalSince1970 * 1000) }
    }

    /// An unlabelled series' value in a `/metrics` page (0 when absent).
    static func counter(_ name: String, in metrics: String) -> Double {
        metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ")[1]) } ?? 0
    }

    /// The bots taking updates on `fleet` now (polling, or by webhook).
    static func polling(_ fleet: TestFleet) -> Set<String> {
        guard let status = try? fleet.client.send(.status).status else { return [] }
        return Set(status.workers.filter { $0.bot?.source == "polling" || $0.bot?.source == "webhook" }.map(\.id))
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
        try await Self.withCluster { alpha, beta, sandbox, redis in
            try await Self.everyBotAnswers(sandbox, chat: 1, "before")

            // The view is read at each renewal: wait for one that saw beta's leases too.
            try await Self.waitUntil("alpha's view shows every bot owned", timeout: .seconds(10)) {
                (try? alpha.client.send(.status).status?.master.cluster?.waiting.isEmpty) == true
            }
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
            #expect(api.body.contains(#""members":"#) && api.body.contains(#""lease_ttl_ms":6000"#), "\(api.body)")
            let (_, table) = try alpha.run(["status", "--cluster"])
            #expect(table.contains("alpha") && table.contains("beta"), "\(table)")
            let metrics = try HTTPGet.get(port: alpha.statusPort, path: "/metrics").body
            #expect(metrics.contains("botmaster_cluster_members 2"), "\(metrics)")
            // Every cluster series the shipped dashboard charts is served (StatusAPIEndToEndTests
            // checks the others, outside cluster mode).
            let dashboard = String(
                decoding: try #require(FileSystem.readFile("\(opsDirectory)/grafana/botmaster-dashboard.json")), as: UTF8.self)
            for name in Set(metricNames(in: dashboard)) where name.hasPrefix("botmaster_cluster_") {
                #expect(
                    metrics.contains("\n\(name) ") || metrics.contains("\n\(name){"), "the dashboard uses \(name), which /metrics lacks")
            }

            // kill -9 of alpha: its workers drain on their own (parent-death signal); its leases
            // expire and beta takes every bot.
            let moved = Self.polling(alpha)
            let takeoversBefore = Self.counter(
                "botmaster_cluster_takeovers_total", in: try HTTPGet.get(port: beta.statusPort, path: "/metrics").body)
            kill(try #require(alpha.masterPID), SIGKILL)
            _ = alpha.waitFor(try #require(alpha.masterPID))
            try await Self.waitUntil("beta runs every bot") { Self.polling(beta) == Self.all }
            try await Self.everyBotAnswers(sandbox, chat: 2, "after")
            let taken = try #require(try beta.client.send(.status).status?.master.cluster)
            #expect(Set(taken.members.map(\.node)) == ["beta"], "alpha's membership expired")
            let takeovers = try HTTPGet.get(port: beta.statusPort, path: "/metrics").body
            #expect(
                Self.counter("botmaster_cluster_takeovers_total", in: takeovers) - takeoversBefore == Double(moved.count),
                "\(moved)")
            // Every message answered exactly once.
            for bot in Self.bots { #expect(try sandbox.sent(bot: bot).count == 2, "bot \(bot)") }
        }
    }

    @Test func aGracefulStopHandsTheBotsOverAtOnce() async throws {
        try await Self.withCluster(alphaInBackground: true) { alpha, beta, sandbox, _ in
            let (code, output) = try alpha.run(["stop"])
            #expect(code == 0, "\(output)")
            try await Self.waitUntil("beta runs every bot") { Self.polling(beta) == Self.all }
            // Released, not expired: beta started alpha's bots well under the lease TTL after alpha
            // left (read from the masters' own logs, not from this busy test process's clock).
            let left = try #require(Self.loggedAtMs(alpha, "left the cluster"))
            let started = try #require(Self.loggedAtMs(beta, "cluster ownership changed"))
            #expect(started - left < Self.leaseTTLMs, "beta took alpha's bots \(started - left) ms after alpha left")
            try await Self.everyBotAnswers(sandbox, chat: 3, "handed over")
            for bot in Self.bots { #expect(try sandbox.sent(bot: bot).count == 1, "bot \(bot)") }
        }
    }

    /// Self-fencing: with Redis gone no master can renew, so every worker is stopped before the
    /// leases could expire (another host could take the bots then); with Redis back the bots
    /// are taken again and answer.
    @Test func mastersThatCannotRenewStopTheirBotsBeforeTheLeasesExpire() async throws {
        try await Self.withCluster { alpha, beta, sandbox, redis in
            redis.stop()
            let cutMs = WallClock.nowMilliseconds()
            func running(_ fleet: TestFleet) -> Int {
                (try? fleet.client.send(.status).status)?.workers.filter { $0.pid != nil }.count ?? -1
            }
            try await Self.waitUntil("no worker runs", timeout: .seconds(20)) { running(alpha) == 0 && running(beta) == 0 }
            // The leases were last renewed at most a renew interval before the cut, so each master
            // stopped its bots within the TTL of it (by the masters' own logs).
            for fleet in [alpha, beta] {
                let fenced = try #require(Self.loggedAtMs(fleet, "cannot renew the cluster leases"))
                #expect(
                    fenced - cutMs < Self.leaseTTLMs,
                    "stopped \(fenced - cutMs) ms after Redis went away; the lease TTL is \(Self.leaseTTL)")
            }
            let view = try #require(try alpha.client.send(.status).status?.master.cluster)
            #expect(!view.ok)
            #expect(try HTTPGet.get(port: alpha.statusPort, path: "/metrics").body.contains("botmaster_cluster_self_fencings_total 1"))
            try redis.start()
            try await Self.waitForTheSplit(alpha, beta)
            try await Self.everyBotAnswers(sandbox, chat: 4, "back")
        }
    }

    /// A frozen master (SIGSTOP: a long pause, a stalled VM) cannot fence itself, and its
    /// workers go on polling. Once its leases expire the other member takes the bots with new
    /// epochs; the frozen side's workers, even with no update to take in, make a fenced step
    /// every second (the job queue's take), which is refused, and exit (status 4, counted as a
    /// fencing refusal once the master wakes) within about a second of the new epoch (the take
    /// waits at most 1 s for new jobs).
    @Test func theWorkersOfAFrozenMasterStopOnTheirOwnOnceTheBotsAreTakenOver() async throws {
        try await Self.withCluster { alpha, beta, sandbox, _ in
            let frozen = try #require(try alpha.client.send(.status).status).workers.filter { $0.bot?.source == "polling" }
            let pids = frozen.compactMap(\.pid)
            try #require(!pids.isEmpty)
            let masterPID = try #require(alpha.masterPID)
            kill(masterPID, SIGSTOP)
            var stopped = true
            defer { if stopped { kill(masterPID, SIGCONT) } }
            try await Self.waitUntil("beta runs every bot") { Self.polling(beta) == Self.all }
            // No traffic: nothing but the conflict can stop them.
            for pid in pids {
                #expect(await waitUntilGone(pid, timeout: .seconds(15)), "worker \(pid) of the frozen master still runs")
            }
            try await Self.everyBotAnswers(sandbox, chat: 5, "while alpha is frozen")

            kill(masterPID, SIGCONT)
            stopped = false
            try await Self.waitForTheSplit(alpha, beta)
            try await Self.everyBotAnswers(sandbox, chat: 6, "alpha is back")
            for bot in Self.bots { #expect(try sandbox.sent(bot: bot).count == 2, "bot \(bot)") }
            let metrics = try HTTPGet.get(port: alpha.statusPort, path: "/metrics").body
            #expect(Self.counter("botmaster_cluster_fencing_refusals_total", in: metrics) >= Double(pids.count), "\(metrics)")
        }
    }

    /// Behind a load balancer any member may receive a bot's webhook: here every bot's webhook
    /// points at beta, and the bots alpha owns are answered all the same — beta relays their
    /// deliveries through Redis (200 once Redis has them) and alpha's workers take them.
    @Test func webhookDeliveriesReachingAMemberThatDoesNotOwnTheBotAreAnsweredByTheOwner() async throws {
        let ports = WebhookPorts()
        try await Self.withCluster(webhook: ports) { alpha, beta, sandbox, _ in
            let alphas = Self.polling(alpha)
            try await Self.everyBotAnswers(sandbox, chat: 1, "through any member")
            for bot in Self.bots {
                #expect(
                    try sandbox.summary(bot: bot).webhookURL == "http://127.0.0.1:\(ports.beta)/webhook/bot\(bot)",
                    "one webhook per bot, set by its owner")
            }
            let stats = try HTTPGet.get(port: beta.statusPort, path: "/api/webhook/stats").body
            let counters = try #require(
                (try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])?["bots"] as? [String: [String: Int]])
            for bot in alphas { #expect(counters[bot]?["relayed"] == 1, "beta relayed \(bot)'s delivery: \(stats)") }
            // Beta's own bots: to their worker, or relayed to it when the delivery came before
            // beta had seen the worker take webhooks.
            for bot in Self.all.subtracting(alphas) {
                let counts = counters[bot] ?? [:]
                #expect((counts["accepted"] ?? 0) + (counts["relayed"] ?? 0) == 1, "beta's own \(bot): \(stats)")
            }

            // The same delivery twice to the member that does not own the bot, then once to the
            // owner: 200 each time, answered once.
            let bot = try #require(alphas.sorted().first)
            let update =
                #"{"update_id": 770001, "message": {"message_id": 1, "date": 0, "chat": {"id": 9, "type": "private"}, "text": "twice"}}"#
            let secret = ["X-Telegram-Bot-Api-Secret-Token": WebhookPorts.secret]
            for port in [ports.beta, ports.beta, ports.alpha] {
                let answer = try HTTPGet.post(port: port, path: "/webhook/\(bot)", body: update, headers: secret)
                #expect(answer.status == 200, "\(answer.body)")
            }
            let id = try #require(Int64(bot.dropFirst(3)))
            #expect(try await sandbox.waitForSent(bot: id, chat: 9, count: 1).map(\.text) == ["twice"])
            let notAnUpdate = try HTTPGet.post(port: ports.beta, path: "/webhook/\(bot)", body: #"{"no": "update"}"#, headers: secret)
            #expect(notAnUpdate.status == 400)
            try await Task.sleep(for: .milliseconds(500))
            #expect(try sandbox.sent(bot: id, chat: 9).count == 1, "a relayed duplicate is not answered again")
        }
    }

    /// Restart accounting travels with a bot: one that crashed too often on its owner stays
    /// errored (with its restart count) on the member that takes it over.
    @Test func aBotItsOwnerGaveUpOnStaysErroredOnTheMemberThatTakesItOver() async throws {
        let crasher = TestFleet.pythonWorker("crash") + "\n[limits]\nrestart_cooldown = \"300ms\"\nmax_restarts_per_hour = 2\n"
        try await Self.withCluster(extra: ["crasher": crasher]) { alpha, beta, _, redis in
            func crasherState(_ fleet: TestFleet) -> (state: String, restarts: Int)? {
                guard let status = try? fleet.client.send(.status).status, let worker = fleet.worker("crasher", in: status) else {
                    return nil
                }
                return (worker.state, worker.restarts)
            }
            try await Self.waitUntil("the crasher's owner gives up on it") {
                crasherState(alpha)?.state == "errored" || crasherState(beta)?.state == "errored"
            }
            let (owner, survivor) = crasherState(alpha)?.state == "errored" ? (alpha, beta) : (beta, alpha)
            #expect(crasherState(owner)?.restarts == 2)
            // The owner publishes it at its next renewal.
            try await Self.waitUntil("the errored state is in Redis") {
                let key = "botmaster:cluster-test:crasher:accounting"
                let (_, value) = (try? runProgram(["redis-cli", "-p", "\(redis.port)", "GET", key])) ?? (1, "")
                return value.contains(#""errored":true"#)
            }
            kill(try #require(owner.masterPID), SIGKILL)
            _ = owner.waitFor(try #require(owner.masterPID))
            try await Self.waitUntil("the survivor holds the crasher's lease") {
                (try? survivor.client.send(.status).status?.master.cluster?.members.first?.bots.contains { $0.bot == "crasher" }) == true
            }
            // Read once: under load a member can fence itself for a moment, and the crasher leaves
            // its status until the lease is taken again.
            var seen: (state: String, restarts: Int)?
            try await Self.waitUntil("the survivor shows the crasher") {
                seen = crasherState(survivor)
                return seen != nil
            }
            let taken = try #require(seen)
            #expect(taken.state == "errored", "the survivor does not start a bot its previous owner gave up on")
            #expect(taken.restarts == 2, "its restart count came with it")
            #expect(survivor.masterLog.contains("its previous owner gave up on it"))
        }
    }
}
