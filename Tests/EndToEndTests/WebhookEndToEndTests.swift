import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// Webhook mode end to end: the sandbox delivers updates to the master's webhook endpoint with
/// the secret header, the master hands them to the worker over its pipe and answers only after
/// the worker took them.
@Suite struct WebhookEndToEndTests {
    static let bot: Int64 = 222
    static let user: Int64 = 7

    static func start(
        autoSwitch: Bool = false, secret: String = "s3cret-webhook", otherWorkers: [String: String] = [:]
    ) throws -> (TestFleet, SandboxProcess, Int) {
        let fleet = try TestFleet(workers: otherWorkers)
        let sandbox = try SandboxProcess(directory: fleet.home)
        let port = LoopbackPort.free()
        if autoSwitch {
            // setWebhook keeps failing, so the bot must fall back to polling.
            try sandbox.post("/sandbox/bots/\(bot)/faults", #"{"method": "setWebhook", "status": 500, "count": 100}"#)
        }
        try fleet.write(
            id: "hook",
            """
            token_env = "HOOK_TOKEN"
            mode = "webhook"
            api_base = "\(sandbox.apiBase)"
            [batch]
            quiet = "100ms"
            [limits]
            heartbeat_interval = "200ms"
            restart_cooldown = "0s"
            """)
        try fleet.startMaster(environment: [
            "HOOK_TOKEN": "\(bot):hook-token", "WEBHOOK_SECRET": secret, "WEBHOOK_PORT": "\(port)", "WEBHOOK_BIND": "127.0.0.1",
            "WEBHOOK_HOST": "http://127.0.0.1:\(port)", "WEBHOOK_MAX_BODY": "2KB", "WEBHOOK_ACK_TIMEOUT": "1s",
            "AUTO_SWITCH_MODE": autoSwitch ? "true" : "false",
        ])
        return (fleet, sandbox, port)
    }

    static let update =
        #"{"update_id": 900, "message": {"message_id": 99, "date": 0, "chat": {"id": 7, "type": "private"}, "text": "direct"}}"#

    @Test func updatesArriveByWebhookAndBadRequestsAreRefused() async throws {
        let (fleet, sandbox, port) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "webhook" }
        #expect(try sandbox.summary(bot: Self.bot).webhookURL == "http://127.0.0.1:\(port)/webhook/hook")

        // The sandbox delivers like Telegram: POST with the secret header.
        try sandbox.send(bot: Self.bot, chat: Self.user, "by webhook")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(sent[0].text == "by webhook")
        #expect(try sandbox.summary(bot: Self.bot).pendingUpdates == 0, "the master answered 200 only once the worker took it")
        // The runtime's event loop reads the frames, not the protocol thread (fd 3 is the channel).
        let worker = try #require(try fleet.client.send(.status).status?.workers.first?.pid)
        #expect(anEventLoopWatchesTheSocket(of: worker, fd: 3))

        let wrong = try HTTPGet.post(
            port: port, path: "/webhook/hook", body: Self.update, headers: ["X-Telegram-Bot-Api-Secret-Token": "guess"])
        #expect(wrong.status == 401)
        let missing = try HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update)
        #expect(missing.status == 401)
        let secret = ["X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"]
        #expect(try HTTPGet.post(port: port, path: "/webhook/nobody", body: Self.update, headers: secret).status == 404)
        #expect(try HTTPGet.post(port: port, path: "/webhook/hook", body: "[1, 2]", headers: secret).status == 400)
        #expect(try HTTPGet.post(port: port, path: "/webhook/hook", body: #"{"no": "update"}"#, headers: secret).status == 400)
        let big = "{\"pad\": \"" + String(repeating: "x", count: 4096) + "\"}"
        #expect(try HTTPGet.post(port: port, path: "/webhook/hook", body: big, headers: secret).status == 413)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try sandbox.sent(bot: Self.bot).count == 1, "nothing refused was delivered")
        let status = try #require(try fleet.client.send(.status).status)
        #expect(status.workers[0].bot?.received == 1)

        // A direct delivery with the right secret, twice: answered once.
        #expect(try HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update, headers: secret).status == 200)
        #expect(try HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update, headers: secret).status == 200)
        try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 2)
        try await Task.sleep(for: .milliseconds(400))
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).map(\.text) == ["by webhook", "direct"])
        #expect(try HTTPGet.get(port: port, path: "/webhook/stats").status != 200, "the stats are not on the public port")
        let stats = try HTTPGet.get(port: fleet.statusPort, path: "/api/webhook/stats")
        #expect(stats.body.contains(#""unauthorized":2"#), "\(stats.body)")
        #expect(stats.body.contains(#""duplicates":1"#), "\(stats.body)")
    }

    @Test func aWorkerThatIsDownGets503SoTelegramRedelivers() async throws {
        let (fleet, sandbox, port) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let running = try await fleet.waitForStatus { $0.workers.first?.bot?.source == "webhook" }
        let secret = ["X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"]
        kill(try #require(running.workers[0].pid), SIGSTOP)
        let stalled = try HTTPGet.post(port: port, path: "/webhook/hook", body: Self.update, headers: secret)
        #expect(stalled.status == 503, "a stopped worker does not answer within the deadline")
        kill(try #require(running.workers[0].pid), SIGCONT)
    }

    /// A worker that acknowledges request ids it was never sent (other bots' webhook deliveries)
    /// takes nothing from them: the frozen bot's deliveries still get 503 (Telegram delivers them
    /// again), and the spammer is restarted for breaking the protocol.
    @Test func anotherBotsWorkerCannotAcknowledgeThisBotsDeliveries() async throws {
        let spammer = TestFleet.pythonWorker("ackspam") + "\n[limits]\nheartbeat_interval = \"200ms\"\nrestart_cooldown = \"1s\"\n"
        let (fleet, sandbox, port) = try Self.start(otherWorkers: ["spammer": spammer])
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let running = try await fleet.waitForStatus {
            fleet.worker("hook", in: $0)?.bot?.source == "webhook" && fleet.worker("spammer", in: $0)?.state == "running"
        }
        let hook = try #require(fleet.worker("hook", in: running)?.pid)
        kill(hook, SIGSTOP)
        defer { kill(hook, SIGCONT) }
        let secret = ["X-Telegram-Bot-Api-Secret-Token": "s3cret-webhook"]
        for index in 0..<3 {
            let body = Self.update.replacingOccurrences(of: "900", with: "\(910 + index)")
            let answer = try HTTPGet.post(port: port, path: "/webhook/hook", body: body, headers: secret)
            #expect(answer.status == 503, "delivery \(index) was answered \(answer.status) while its worker was stopped")
        }
        try await fleet.waitForStatus { (fleet.worker("spammer", in: $0)?.restarts ?? 0) >= 1 }
        #expect(fleet.masterLog.contains("sent to another bot"), "master log: \(fleet.masterLog.suffix(2000))")
    }

    @Test func aFailedSetWebhookFallsBackToPollingWhenAllowed() async throws {
        let (fleet, sandbox, _) = try Self.start(autoSwitch: true)
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus(timeout: .seconds(30)) { $0.workers.first?.bot?.source == "polling_after_webhook_failed" }
        try sandbox.send(bot: Self.bot, chat: Self.user, "polled instead")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(sent[0].text == "polled instead")
        #expect(fleet.workerLog("hook").contains("setWebhook failed; AUTO_SWITCH_MODE=true, so polling instead"))
    }
}

extension WebhookEndToEndTests {
    /// Runs curl (installed by ops/install-deps.sh) and returns the HTTP status it printed.
    static func curlStatus(_ arguments: [String]) throws -> String {
        try runProgram(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments, stderr: false).output
    }

    @Test func theWebhookEndpointServesTLSWithTheConfiguredCertificate() async throws {
        let fleet = try TestFleet(workers: [:])
        defer { fleet.tearDown() }
        let key = "\(fleet.home)/key.pem"
        let certificate = "\(fleet.home)/cert.pem"
        let null = try Descriptors.openNull()
        let openssl = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-days", "1", "-keyout", key,
                    "-out", certificate,
                ], environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        close(null)
        #expect(fleet.waitFor(openssl) == .exited(code: 0))
        let port = LoopbackPort.free()
        try fleet.write(id: "tls", "token_env = \"TLS_TOKEN\"\nmode = \"webhook\"\napi_base = \"http://127.0.0.1:9\"")
        try fleet.startMaster(environment: [
            "TLS_TOKEN": "5:x", "WEBHOOK_SECRET": "tls-secret", "WEBHOOK_PORT": "\(port)", "WEBHOOK_BIND": "127.0.0.1",
            "WEBHOOK_HOST": "https://127.0.0.1:\(port)", "WEBHOOK_SSL_CERT": certificate, "WEBHOOK_SSL_KEY": key,
        ])
        try await fleet.waitForStatus { $0.workers.first?.state == "running" }
        // A wrong secret over TLS: the TLS handshake with our certificate works, the secret does not.
        let status = try Self.curlStatus([
            "--cacert", certificate, "-H", "X-Telegram-Bot-Api-Secret-Token: wrong", "-d", Self.update,
            "https://127.0.0.1:\(port)/webhook/tls",
        ])
        #expect(status == "401")
        let plain = try Self.curlStatus([
            "-H", "X-Telegram-Bot-Api-Secret-Token: wrong", "-d", Self.update, "http://127.0.0.1:\(port)/webhook/tls",
        ])
        #expect(plain != "401", "plain HTTP is not served")
    }
}
