import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc
import RedisServerFixture
import Testing

/// The bot runtime with its state in a durable store (a real redis-server, or SQLite): workers
/// killed mid-batch and mid-job, Redis restarted under traffic, dead letters run again with
/// `botmaster dlq` on every store.
@Suite struct RedisEndToEndTests {
    static let bot: Int64 = 333

    /// A fleet with one bot `echo` whose state is in `redis` (unless `store` names another). Its handler is a program that
    /// notes each start in `marks/started-<chat>`, on its first start for chat
    /// `HANDLER_HOLD_CHAT` waits up to `HANDLER_HOLD_FIRST` seconds (long enough for a test to kill its worker however loaded
    /// the machine is), and echoes the merged text — or fails while `marks/broken` exists.
    static func start(
        redis: RedisServerProcess, mode: String = "polling", quiet: String = "1s", environment: [String: String] = [:],
        store: String? = nil, extra: String = ""
    ) throws -> (TestFleet, SandboxProcess, webhookPort: Int) {
        let fleet = try TestFleet(workers: [:])
        let sandbox = try SandboxProcess(directory: fleet.home)
        let port = LoopbackPort.free()
        mkdir("\(fleet.home)/marks", 0o755)
        let handler = """
            import json, os, sys, time
            job = json.load(sys.stdin)
            marks = os.environ['MARK_DIR']
            with open(marks + '/started-' + str(job['chat']['id']), 'a') as f: f.write('x'); first = f.tell() == 1
            if first and str(job['chat']['id']) == os.environ.get('HANDLER_HOLD_CHAT'): time.sleep(float(os.environ.get('HANDLER_HOLD_FIRST', '0')))
            if os.path.exists(marks + '/broken'): sys.exit(3)
            print(job['text'])
            """
        try fleet.write(
            id: "echo",
            """
            token_env = "ECHO_TOKEN"
            \(store.map { "store = \"\($0)\"" } ?? "")
            mode = "\(mode)"
            api_base = "\(sandbox.apiBase)"
            [batch]
            quiet = "\(quiet)"
            [handler]
            kind = "command"
            argv = ["python3", "-c", '''
            \(handler)''']
            concurrency = 10
            # Longer than HANDLER_HOLD_FIRST: a held handler must never time out and be
            # retried (a second start) before the test kills its worker, however long a test
            # process starved of threads by the parallel suite takes to get there.
            timeout = "150s"
            [retry]
            max_attempts = 2
            base_delay = "100ms"
            max_delay = "200ms"
            [limits]
            heartbeat_interval = "200ms"
            restart_cooldown = "0s"
            \(extra)
            """)
        var variables = [
            "ECHO_TOKEN": "\(bot):redis-secret", "REDIS_URL": redis.urlText, "MARK_DIR": "\(fleet.home)/marks",
            "WEBHOOK_SECRET": "redis-hook", "WEBHOOK_PORT": "\(port)", "WEBHOOK_BIND": "127.0.0.1",
            "WEBHOOK_HOST": "http://127.0.0.1:\(port)", "WEBHOOK_ACK_TIMEOUT": "2s",
        ]
        variables.merge(environment) { _, new in new }
        try fleet.startMaster(environment: variables)
        return (fleet, sandbox, port)
    }

    static func handlerStarts(_ fleet: TestFleet, chat: Int64) -> Int {
        (FileSystem.readFile("\(fleet.home)/marks/started-\(chat)") ?? []).count
    }

    static func waitUntilReceiving(_ fleet: TestFleet, mode: String) async throws -> Int32 {
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.source == mode }
        return try #require(status.workers.first?.pid)
    }

    /// Kills the worker with SIGKILL while chat 1 has an open batch and chat 2's job is in its
    /// handler; after the restart each chat gets exactly one reply.
    private func killMidBatchAndMidJob(mode: String, store: String) async throws {
        let redis = try RedisServerProcess()
        let (fleet, sandbox, _) = try Self.start(
            redis: redis, mode: mode, environment: ["HANDLER_HOLD_FIRST": "120", "HANDLER_HOLD_CHAT": "2"], store: store)
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        let oldPID = try await Self.waitUntilReceiving(fleet, mode: mode)
        try sandbox.send(bot: Self.bot, chat: 2, "in the handler")
        let deadline = MonotonicTime.now() + .seconds(10)
        while Self.handlerStarts(fleet, chat: 2) == 0 && MonotonicTime.now() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(
            Self.handlerStarts(fleet, chat: 2) == 1,
            "worker log:\n\(fleet.workerLog("echo").suffix(3000))\nmaster log:\n\(String(decoding: FileSystem.readFile("\(fleet.home)/logs/master.log") ?? [], as: UTF8.self).suffix(2000))"
        )
        try sandbox.send(bot: Self.bot, chat: 1, "still")
        try sandbox.send(bot: Self.bot, chat: 1, "typing")
        try await fleet.waitForStatus { $0.workers.first?.bot?.received == 3 }
        kill(oldPID, SIGKILL)
        try await fleet.waitForStatus { $0.workers.first?.pid != oldPID && $0.workers.first?.bot?.source == mode }
        _ = try await sandbox.waitForSent(bot: Self.bot, chat: 2, count: 1, timeout: .seconds(20))
        _ = try await sandbox.waitForSent(bot: Self.bot, chat: 1, count: 1, timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(2500))
        #expect(try sandbox.sent(bot: Self.bot, chat: 1).map(\.text) == ["still\ntyping"])
        #expect(try sandbox.sent(bot: Self.bot, chat: 2).map(\.text) == ["in the handler"])
        #expect(Self.handlerStarts(fleet, chat: 2) == 2, "the job killed in its handler ran again in the next process")
        // Chat 2's job, and chat 1's batch too when it was already a job (a loaded machine).
        #expect(fleet.workerLog("echo").contains("took over unfinished jobs from the previous process jobs="))
    }

    @Test(arguments: ["sqlite", "redis"]) func aPollingWorkerKilledMidBatchAndMidJobAnswersEveryMessageOnce(store: String)
        async throws
    {
        try await killMidBatchAndMidJob(mode: "polling", store: store)
    }

    @Test(arguments: ["sqlite", "redis"]) func aWebhookWorkerKilledMidBatchAndMidJobAnswersEveryMessageOnce(store: String)
        async throws
    {
        try await killMidBatchAndMidJob(mode: "webhook", store: store)
    }

    @Test func redisRestartedUnderTrafficLosesNothingAndWebhooksGet503WhileItIsDown() async throws {
        let password = "redis-pass-7f3a"
        let redis = try RedisServerProcess(password: password, persistent: true)
        let (fleet, sandbox, port) = try Self.start(redis: redis, mode: "webhook", quiet: "100ms")
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        _ = try await Self.waitUntilReceiving(fleet, mode: "webhook")
        let chats = Array(Int64(1001)...1030)
        for chat in chats.prefix(10) { try sandbox.send(bot: Self.bot, chat: chat, "before \(chat)") }
        _ = try await sandbox.waitForSent(bot: Self.bot, count: 5)
        redis.stop(graceful: true)
        for chat in chats.dropFirst(10).prefix(10) { try sandbox.send(bot: Self.bot, chat: chat, "during \(chat)") }
        let update = #"{"update_id": 999999, "message": {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "x"}}"#
        let refused = try HTTPGet.post(
            port: port, path: "/webhook/echo", body: update, headers: ["X-Telegram-Bot-Api-Secret-Token": "redis-hook"])
        #expect(refused.status == 503, "an update Redis cannot keep is not accepted")
        try await Task.sleep(for: .seconds(1))
        try redis.start()
        for chat in chats.suffix(10) { try sandbox.send(bot: Self.bot, chat: chat, "after \(chat)") }
        let sent = try await sandbox.waitForSent(bot: Self.bot, count: chats.count, timeout: .seconds(30))
        try await Task.sleep(for: .milliseconds(1000))
        let all = try sandbox.sent(bot: Self.bot)
        #expect(all.count == chats.count, "every message answered once: \(sent.map(\.text))")
        #expect(Set(all.map(\.chatID)) == Set(chats))
        #expect(fleet.workerLog("echo").contains("store answers again"))
        #expect(fleet.workerLog("echo").contains("store failed"), "the outage is logged")
        #expect(!fleet.workerLog("echo").contains(password) && !fleet.masterLog.contains(password), "the password never reaches a log")
    }

    @Test func aJobThatAlwaysFailsIsDeadLetteredAndDlqRetryRunsItAgain() async throws {
        try await deadLetterRoundTrip(backend: "redis")
    }

    @Test func dlqWorksOnTheMemoryStoreThroughTheMaster() async throws {
        try await deadLetterRoundTrip(backend: "memory")
    }

    @Test func dlqWorksOnTheSQLiteStoreThroughTheMaster() async throws {
        try await deadLetterRoundTrip(backend: "sqlite")
    }

    /// - Parameter backend: the bot's store (the fleet has `REDIS_URL`; the bot's `store` key
    ///   chooses another).
    private func deadLetterRoundTrip(backend: String) async throws {
        let redis = try RedisServerProcess()
        let (fleet, sandbox, _) = try Self.start(
            redis: redis, quiet: "100ms", store: backend)
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        try FileSystem.writeSmallFile("\(fleet.home)/marks/broken", [])
        _ = try await Self.waitUntilReceiving(fleet, mode: "polling")
        try sandbox.send(bot: Self.bot, chat: 9, "doomed at first")
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.deadLettered == 1 }
        #expect(status.workers.first?.bot?.store == backend)
        let list = try fleet.run(["dlq", "echo", "list"])
        #expect(list.code == 0)
        #expect(list.output.contains("1 dead letter(s) (\(backend))"), "\(list.output)")
        #expect(list.output.contains("exit 3"))
        let key = try #require(list.output.split(separator: "\n").dropFirst().first?.split(separator: "\t").first.map(String.init))
        let shown = try fleet.run(["dlq", "echo", "show", key])
        #expect(shown.output.contains("doomed at first"))
        #expect(shown.output.contains("attempts:   2"))
        #expect(try fleet.run(["dlq", "echo", "retry", "no-such-key"]).code != 0)

        FileSystem.removeFile("\(fleet.home)/marks/broken")
        let retried = try fleet.run(["dlq", "echo", "retry", key])
        #expect(retried.output.contains("1 dead letter(s) of echo queued again"), "\(retried.output)")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: 9, count: 1)
        #expect(sent.map(\.text) == ["doomed at first"])
        #expect(try fleet.run(["dlq", "echo", "list"]).output.contains("no dead letters (\(backend))"))
        #expect(try fleet.run(["dlq", "echo", "purge"]).output.contains("0 dead letter(s) of echo dropped"))
    }

    @Test func handoffStateAndOperatorThreadsSurviveAKilledWorker() async throws {
        let redis = try RedisServerProcess()
        let operatorChat: Int64 = -100
        let (fleet, sandbox, _) = try Self.start(redis: redis, quiet: "100ms", extra: "[handoff]\noperator_chat_id = \(operatorChat)")
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        let oldPID = try await Self.waitUntilReceiving(fleet, mode: "polling")
        try sandbox.send(bot: Self.bot, chat: 5, "/operator")
        try await sandbox.waitForSent(bot: Self.bot, chat: 5, count: 1)
        let notice = try await sandbox.waitForSent(bot: Self.bot, chat: operatorChat, count: 1)
        // Killed once the handoff job is finished: a kill while its notice is still being
        // recorded would send the notice again (the one duplicate the design cannot avoid).
        try await fleet.waitForStatus { $0.workers.first?.bot?.jobsOK == 1 }
        kill(oldPID, SIGKILL)
        try await fleet.waitForStatus { $0.workers.first?.pid != oldPID && $0.workers.first?.bot?.handoffs == 1 }
        // The new process knows the chat is handed off…
        try sandbox.send(bot: Self.bot, chat: 5, "still there?")
        let forwarded = try await sandbox.waitForSent(bot: Self.bot, chat: operatorChat, count: 2)
        #expect(forwarded[1].method == "forwardMessage")
        // …and where the old process's notice to the operators came from.
        try sandbox.send(bot: Self.bot, chat: operatorChat, "Yes, looking into it", replyTo: notice[0].messageID)
        let back = try await sandbox.waitForSent(bot: Self.bot, chat: 5, count: 2)
        #expect(back[1].method == "copyMessage")
        try sandbox.send(bot: Self.bot, chat: 5, "/release")
        let released = try await sandbox.waitForSent(bot: Self.bot, chat: 5, count: 3)
        #expect(released[2].text == "You are back with the bot.")
        try await fleet.waitForStatus { $0.workers.first?.bot?.handoffs == 0 }
    }

    @Test func aRestartedWorkerAnswersItsOpenBatchBeforeItGoes() async throws {
        let redis = try RedisServerProcess()
        let (fleet, sandbox, _) = try Self.start(redis: redis, quiet: "2s")
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        let oldPID = try await Self.waitUntilReceiving(fleet, mode: "polling")
        try sandbox.send(bot: Self.bot, chat: 8, "typing")
        try sandbox.send(bot: Self.bot, chat: 8, "across a restart")
        try await fleet.waitForStatus { $0.workers.first?.bot?.received == 2 }
        #expect(try fleet.run(["restart", "echo"]).code == 0)
        try await fleet.waitForStatus { $0.workers.first?.pid != oldPID && $0.workers.first?.bot?.source == "polling" }
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: 8, count: 1, timeout: .seconds(20))
        try await Task.sleep(for: .milliseconds(1000))
        #expect(sent.first?.text == "typing\nacross a restart")
        #expect(try sandbox.sent(bot: Self.bot, chat: 8).count == 1)
    }

    @Test func aBotWhoseRedisIsDownAtStartWaitsForItAndLosesNothing() async throws {
        let redis = try RedisServerProcess(persistent: true)
        redis.stop(graceful: true)
        let (fleet, sandbox, _) = try Self.start(redis: redis, quiet: "100ms")
        defer {
            fleet.tearDown()
            sandbox.stop()
            redis.tearDown()
        }
        let down = try await fleet.waitForStatus { $0.workers.first?.bot?.store == "redis_unreachable" }
        #expect(down.workers.first?.state == "running", "the worker waits for Redis instead of crash-looping")
        try sandbox.send(bot: Self.bot, chat: 3, "waiting for redis")
        try await Task.sleep(for: .milliseconds(500))
        #expect(try sandbox.sent(bot: Self.bot).isEmpty)
        try redis.start()
        let sent: [SentRecord]
        do {
            sent = try await sandbox.waitForSent(bot: Self.bot, chat: 3, count: 1, timeout: .seconds(20))
        } catch {
            // Once seen under a loaded CI run and not since: keep what would tell why.
            let redisLog = String(decoding: FileSystem.readFile("\(redis.directory)/redis.log") ?? [], as: UTF8.self)
            Issue.record("worker log:\n\(fleet.workerLog("echo").suffix(6000))\nredis log:\n\(redisLog.suffix(3000))")
            throw error
        }
        #expect(sent.map(\.text) == ["waiting for redis"])
        let up = try await fleet.waitForStatus { $0.workers.first?.bot?.store == "redis" }
        #expect(up.workers.first?.restarts == 0)
    }
}
