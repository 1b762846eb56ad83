import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// The webhook port under clients that attack it: floods of idle connections, trickled headers
/// and bodies, sources outside the allowlist, and deliveries that arrive while the master is
/// restarting. The supervisor keeps supervising whatever the port suffers.
@Suite struct WebhookHardeningEndToEndTests {
    static let secret = ["X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"]

    static func update(_ id: Int) -> String {
        #"{"update_id": \#(id), "message": {"message_id": \#(id), "date": 0, "chat": {"id": 7, "type": "private"}, "text": "hi"}}"#
    }

    /// A webhook bot `hook` on the sandbox, with the given webhook settings.
    static func start(
        _ settings: [String: String], otherWorkers: @escaping (SandboxProcess) -> [String: String] = { _ in [:] }
    ) throws -> (TestFleet, SandboxProcess, Int) {
        let fleet = try TestFleet(workers: [:])
        let sandbox = try SandboxProcess(directory: fleet.home)
        for (id, text) in otherWorkers(sandbox) { try fleet.write(id: id, text) }
        let port = LoopbackPort.free()
        try fleet.write(
            id: "hook",
            """
            token_env = "HOOK_TOKEN"
            mode = "webhook"
            api_base = "\(sandbox.apiBase)"
            [batch]
            quiet = "0s"
            [limits]
            heartbeat_interval = "200ms"
            restart_cooldown = "0s"
            """)
        var environment = [
            "HOOK_TOKEN": "222:hook-token", "WEBHOOK_SECRET": "s3cret-webhook", "WEBHOOK_PORT": "\(port)",
            "WEBHOOK_HOST": "http://127.0.0.1:\(port)", "WEBHOOK_ACK_TIMEOUT": "2s",
        ]
        environment.merge(settings) { _, new in new }
        try fleet.startMaster(environment: environment)
        return (fleet, sandbox, port)
    }

    static func connectionCounters(_ fleet: TestFleet) throws -> String {
        try HTTPGet.get(port: fleet.statusPort, path: "/api/webhook/stats").body
    }

    /// Idle connections from one address beyond its share are closed as they arrive; from many
    /// addresses, the port stops accepting at its total cap, so the master's descriptors stay
    /// bounded, and a killed worker is restarted, `status` and `/health` answer meanwhile.
    @Test func aFloodOfIdleConnectionsIsCappedAndSupervisionGoesOn() async throws {
        let (fleet, sandbox, port) = try Self.start([
            "WEBHOOK_MAX_CONNECTIONS": "40", "WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS": "10", "WEBHOOK_IDLE_TIMEOUT": "60s",
        ])
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let running = try await fleet.waitForStatus { $0.workers.first?.bot?.source == "webhook" }
        let master = try #require(fleet.masterPID)
        let baseline = openDescriptorCount(of: master)

        // Eleven from one address: its share is ten. (Connections are admitted on several
        // event loops, so which one is refused is not known in advance.)
        var held: [RawConnection] = []
        for _ in 0..<11 { held.append(try RawConnection(port: port)) }
        var refused: [RawConnection] = []
        let deadline = MonotonicTime.now() + .seconds(20)
        while refused.isEmpty, MonotonicTime.now() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            refused = await Self.closed(held)
        }
        try await Task.sleep(for: .milliseconds(200))
        refused = await Self.closed(held)
        #expect(refused.count == 1, "one connection over the address's share is closed at once, \(refused.count) were")
        held.removeAll { connection in refused.contains { $0 === connection } }

        // Eight more addresses, ten each: 90 connections offered, 40 accepted.
        for host in 2...9 {
            for _ in 0..<10 { held.append(try RawConnection(port: port, source: "127.0.0.\(host)")) }
        }
        try await Task.sleep(for: .milliseconds(500))
        let flooded = openDescriptorCount(of: master)
        // The cap, a few the acceptor takes before it sees the cap reached, and the master's own.
        #expect(flooded - baseline <= 50, "the master holds at most about the cap: \(baseline) → \(flooded) descriptors")
        #expect(flooded - baseline >= 30, "the connections up to the cap are held: \(baseline) → \(flooded)")

        // Supervision goes on under the flood.
        let pid = try #require(running.workers.first?.pid)
        kill(pid, SIGKILL)
        let restarted = try await fleet.waitForStatus {
            $0.workers.first?.state == "running" && $0.workers.first?.pid != pid && $0.workers.first?.bot?.source == "webhook"
        }
        #expect(restarted.workers.first?.restarts == 1)
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/health").status == 200)
        #expect(try Self.connectionCounters(fleet).contains(#""refused_per_address":1"#))

        // Once the flood goes, Telegram's deliveries are served again.
        held.removeAll()
        let answer = try HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update(501), headers: Self.secret)
        #expect(answer.status == 200)
    }

    /// Headers trickled byte by byte are cut off by the idle timeout, a body trickled after a
    /// complete head by the read timeout, and an idle keep-alive by the idle timeout.
    @Test func slowClientsAreCutOff() async throws {
        let (fleet, sandbox, port) = try Self.start(["WEBHOOK_IDLE_TIMEOUT": "1s", "WEBHOOK_READ_TIMEOUT": "1s"])
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "webhook" }

        let trickledHead = try RawConnection(port: port)
        let head = Array("POST /webhook/hook HTTP/1.1\r\nHost: x\r\n")
        var sentUntilClosed = 0
        for character in head {
            guard trickledHead.send(String(character)), await !trickledHead.isClosed(within: .milliseconds(250)) else { break }
            sentUntilClosed += 1
        }
        #expect(sentUntilClosed < head.count, "a trickled head is cut off before it completes (sent \(sentUntilClosed))")

        let trickledBody = try RawConnection(port: port)
        trickledBody.send(
            "POST /webhook/hook HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: s3cret-webhook\r\n"
                + "Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
        var bodyBytes = 1
        while bodyBytes < 200, trickledBody.send(" "), await !trickledBody.isClosed(within: .milliseconds(250)) { bodyBytes += 1 }
        #expect(bodyBytes < 40, "a trickled body is cut off by the read timeout (sent \(bodyBytes) bytes)")
        #expect(try Self.connectionCounters(fleet).contains(#""read_timeouts":1"#))

        let idle = try RawConnection(port: port)
        #expect(await idle.isClosed(within: .seconds(20)), "an idle connection is closed by the idle timeout")
        #expect(try sandbox.sent(bot: 222).isEmpty, "nothing cut off was delivered")
    }

    /// A source outside `WEBHOOK_ALLOWED_NETWORKS` is closed before it can send a request; an
    /// allowed one is served.
    @Test func sourcesOutsideTheAllowlistAreClosedBeforeAnyRequest() async throws {
        let (fleet, sandbox, port) = try Self.start(["WEBHOOK_ALLOWED_NETWORKS": "127.0.0.2/32"])
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "webhook" }
        let outsider = try RawConnection(port: port, source: "127.0.0.1")
        #expect(await outsider.isClosed(within: .seconds(20)))
        let request = Self.rawPost(path: "/webhook/hook", body: Self.update(601))
        let allowed = try RawConnection(port: port, source: "127.0.0.2")
        allowed.send(request)
        #expect(await allowed.readAll(within: .seconds(30)).hasPrefix("HTTP/1.1 200"))
        #expect(try Self.connectionCounters(fleet).contains(#""refused_by_allowlist":1"#))
    }

    /// While a master restarted after `kill -9` cleans up and starts its fleet, a defined webhook
    /// bot answers 503 (Telegram delivers again), never 404 (Telegram would drop the update);
    /// a disabled webhook bot answers 503 as well, a polling bot's URL 404 without delivering.
    @Test func deliveriesDuringAMasterRestartGet503NeverUnknownBot() async throws {
        let (fleet, sandbox, port) = try Self.start(
            ["LATER_TOKEN": "223:later", "POLL_TOKEN": "224:poll"],
            otherWorkers: { sandbox in
                [
                    "later": "token_env = \"LATER_TOKEN\"\nmode = \"webhook\"\nenabled = false\napi_base = \"\(sandbox.apiBase)\"",
                    "poller": "token_env = \"POLL_TOKEN\"\napi_base = \"\(sandbox.apiBase)\"\n[limits]\nheartbeat_interval = \"200ms\"",
                ]
            })
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let environment = [
            "HOOK_TOKEN": "222:hook-token", "LATER_TOKEN": "223:later", "POLL_TOKEN": "224:poll",
            "WEBHOOK_SECRET": "s3cret-webhook", "WEBHOOK_PORT": "\(port)", "WEBHOOK_HOST": "http://127.0.0.1:\(port)",
            "WEBHOOK_ACK_TIMEOUT": "2s",
        ]
        try await fleet.waitForStatus {
            fleet.worker("hook", in: $0)?.bot?.source == "webhook" && fleet.worker("poller", in: $0)?.bot?.source == "polling"
        }
        #expect(try HTTPGet.post(port: port, path: "/webhook/later", body: Self.update(700), headers: Self.secret).status == 503)
        #expect(try HTTPGet.post(port: port, path: "/webhook/poller", body: Self.update(701), headers: Self.secret).status == 404)
        try await Task.sleep(for: .milliseconds(300))
        let before = try #require(try fleet.client.send(.status).status)
        #expect(fleet.worker("poller", in: before)?.bot?.received == 0, "the polling bot was handed no webhook delivery")

        kill(try #require(fleet.masterPID), SIGKILL)
        _ = fleet.waitFor(try #require(fleet.masterPID))
        try fleet.startMaster(environment: environment)
        var answers: [Int: Int] = [:]
        var served = false
        let deadline = MonotonicTime.now() + .seconds(30)
        var updateID = 800
        while !served, MonotonicTime.now() < deadline {
            updateID += 1
            if let answer = try? HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update(updateID), headers: Self.secret) {
                answers[answer.status, default: 0] += 1
                served = answer.status == 200
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(served, "the restarted master serves the bot again: \(answers)")
        #expect(answers[404] == nil, "no delivery was told the bot is unknown: \(answers)")
    }

    /// The connections of `held` that the server has closed.
    static func closed(_ held: [RawConnection]) async -> [RawConnection] {
        var closed: [RawConnection] = []
        for connection in held where await connection.isClosed(within: .milliseconds(10)) { closed.append(connection) }
        return closed
    }

    static func rawPost(path: String, body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Telegram-Bot-Api-Secret-Token: s3cret-webhook\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }
}
