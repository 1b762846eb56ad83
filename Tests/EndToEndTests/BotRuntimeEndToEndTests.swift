import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// The bot runtime end to end: the real master, real `botworker` processes and the real
/// `botapi-sandbox`, talking over loopback.
@Suite struct BotRuntimeEndToEndTests {
    static let bot: Int64 = 111
    static let user: Int64 = 42

    /// A fleet with one bot `echo` on the sandbox, plus `extra` TOML.
    static func start(_ extra: String = "", batch: String = "quiet = \"1s\"", environment: [String: String] = [:]) throws -> (
        TestFleet, SandboxProcess
    ) {
        let fleet = try TestFleet(workers: [:])
        let sandbox = try SandboxProcess(directory: fleet.home)
        try fleet.write(
            id: "echo",
            """
            token_env = "ECHO_TOKEN"
            api_base = "\(sandbox.apiBase)"
            \(extra)
            [batch]
            \(batch)
            [limits]
            heartbeat_interval = "200ms"
            restart_cooldown = "0s"
            """)
        try fleet.startMaster(environment: ["ECHO_TOKEN": "\(bot):sandbox-secret"].merging(environment) { _, new in new })
        return (fleet, sandbox)
    }

    static func counters(_ fleet: TestFleet) throws -> BotCounters? {
        try fleet.client.send(.status).status?.workers.first { $0.id == "echo" }?.bot
    }

    @discardableResult
    static func waitUntilPolling(_ fleet: TestFleet) async throws -> FleetStatus {
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
    }

    @Test func fourMessagesSentQuicklyBecomeOneReplyInOrder() async throws {
        // A 2 s quiet window against 100 ms gaps: slack for a loaded CI machine, where the
        // whole suite's processes share two cores.
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"2s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        for text in ["one", "two", "three", "four"] {
            try sandbox.send(bot: Self.bot, chat: Self.user, text)
            // Blocking on purpose: the test keeps its thread, so the gap is 100 ms even when the
            // suite's other tests hold the cooperative pool (an awaited sleep then resumes late).
            usleep(100_000)
        }
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        try await Task.sleep(for: .milliseconds(2500))
        let replies = try sandbox.sent(bot: Self.bot, chat: Self.user).map(\.text)
        #expect(replies == ["one\ntwo\nthree\nfour"], "replies: \(replies); worker log: \(fleet.workerLog("echo").suffix(1500))")
        #expect(sent[0].method == "sendMessage")
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.jobsOK == 1 }
        #expect(status.workers[0].bot?.received == 4)
        #expect(status.workers[0].bot?.batches == 1)
        #expect(status.workers[0].bot?.inFlight == 0)
        #expect(!fleet.workerLog("echo").contains("sandbox-secret"), "the token never reaches a log")
        #expect(!fleet.workerLog("echo").contains("three"), "message texts never reach a log")
    }

    @Test func messagesFarApartBecomeSeparateReplies() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"300ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        for text in ["first", "second", "third"] {
            try sandbox.send(bot: Self.bot, chat: Self.user, text)
            try await Task.sleep(for: .milliseconds(1200))
        }
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 3)
        #expect(sent.map(\.text) == ["first", "second", "third"])
        #expect(sent.allSatisfy { $0.replyToMessageID != nil }, "a single message is answered as a reply to it")
    }

    @Test func aBurstOfTwelveWithAMaximumOfTenBecomesTwoJobs() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"2s\"\nmax_messages = 10")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        for index in 1...12 { try sandbox.send(bot: Self.bot, chat: Self.user, "m\(index)") }
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 2)
        #expect(sent.map(\.text) == [(1...10).map { "m\($0)" }.joined(separator: "\n"), "m11\nm12"])
    }

    @Test func aDuplicateUpdateIsAnsweredOnce() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"200ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        let messageID = try sandbox.send(bot: Self.bot, chat: Self.user, "once")
        // The same message again under a new update id, as a redelivery through another path would be.
        try sandbox.post(
            "/sandbox/bots/\(Self.bot)/updates",
            """
            {"update_id": 500, "message": {"message_id": \(messageID), "date": 0, "chat": {"id": \(Self.user), "type": "private"}, "text": "once"}}
            """)
        try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        // Exactly once, although the poller re-reads from its offset while "once" is in flight:
        // an update it fed already is not fed (or counted) again.
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.duplicates == 1 && $0.workers.first?.bot?.jobsOK == 1 }
        #expect(status.workers[0].bot?.jobsOK == 1)
        try await Task.sleep(for: .milliseconds(600))
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).count == 1)
        #expect(try Self.counters(fleet)?.duplicates == 1, "re-reads are not counted as duplicates")
        #expect(try Self.counters(fleet)?.received == 2)
    }

    @Test func aTooManyRequestsAnswerIsObeyedForItsRetryAfter() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"100ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.post("/sandbox/bots/\(Self.bot)/faults", #"{"method": "sendMessage", "status": 429, "retry_after": 2, "count": 1}"#)
        let before = WallClock.nowMilliseconds()
        try sandbox.send(bot: Self.bot, chat: Self.user, "slow down")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(sent[0].atMs - before >= 2000, "sent \(sent[0].atMs - before) ms after the message; retry_after was 2 s")
        #expect(try sandbox.summary(bot: Self.bot).calls["sendMessage"] == 2)
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.rateLimited == 1 }
        #expect(status.workers[0].bot?.jobFailures == 0, "a 429 is obeyed, not counted as a failed job")
    }

    @Test func aWorkerKilledMidBatchLosesNoMessage() async throws {
        // A 15 s window: the status polls that must see the open batch before the kill can be
        // late by seconds when the suite's other tests hold the cooperative pool.
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"15s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let first = try await Self.waitUntilPolling(fleet)
        let oldPID = try #require(first.workers[0].pid)
        try sandbox.send(bot: Self.bot, chat: Self.user, "before")
        try sandbox.send(bot: Self.bot, chat: Self.user, "the crash")
        // Both messages in the open batch (one chat: one in flight), in the bot's store.
        try await fleet.waitForStatus { $0.workers.first?.bot?.received == 2 && $0.workers.first?.bot?.inFlight == 1 }
        kill(oldPID, SIGKILL)
        let restarted = try await fleet.waitForStatus { $0.workers.first?.pid != oldPID && $0.workers.first?.bot?.source == "polling" }
        // Once (an unexplained second restart was seen once under full-suite load: the logs say why).
        #expect(
            restarted.workers[0].restarts == 1,
            "master log: \(fleet.masterLog.suffix(3000))\nworker log: \(fleet.workerLog("echo").suffix(2000))")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1, timeout: .seconds(40))
        try await Task.sleep(for: .milliseconds(1000))
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).map(\.text) == ["before\nthe crash"])
        #expect(sent.count == 1)
    }

    @Test func handoffForwardsToTheOperatorAndBringsRepliesBack() async throws {
        let operatorChat: Int64 = -100
        let (fleet, sandbox) = try Self.start("[handoff]\noperator_chat_id = \(operatorChat)", batch: "quiet = \"100ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "/operator")
        let notice = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(notice[0].text?.contains("operator") == true)
        try await sandbox.waitForSent(bot: Self.bot, chat: operatorChat, count: 1)
        try sandbox.send(bot: Self.bot, chat: Self.user, "my order is late")
        let forwarded = try await sandbox.waitForSent(bot: Self.bot, chat: operatorChat, count: 2)
        #expect(forwarded[1].method == "forwardMessage")
        #expect(forwarded[1].text == "my order is late")
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).count == 1, "the bot does not answer a chat in handoff")
        try sandbox.send(bot: Self.bot, chat: operatorChat, "It ships today", replyTo: forwarded[1].messageID)
        let back = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 2)
        #expect(back[1].method == "copyMessage")
        #expect(back[1].text == "It ships today")
        try sandbox.send(bot: Self.bot, chat: Self.user, "/release")
        try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 3)
        try sandbox.send(bot: Self.bot, chat: Self.user, "hello bot")
        let after = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 4)
        #expect(after[3].text == "hello bot", "after /release the bot answers again")
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.handoffs == 0 }
        #expect(status.workers[0].bot?.deadLettered == 0)
    }

    @Test func aConfigUpdateChangesTheQuietWindowWithoutARestart() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"30s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let before = try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "waiting")
        try await fleet.waitForStatus { $0.workers.first?.bot?.inFlight == 1 }
        let text = String(decoding: FileSystem.readFile("\(fleet.home)/workers/echo.toml") ?? [], as: UTF8.self)
        try fleet.write(id: "echo", text.replacing("quiet = \"30s\"", with: "quiet = \"200ms\""))
        let reload = try fleet.run(["reload"])
        #expect(reload.code == 0, "\(reload.output)")
        #expect(reload.output.contains("updated"))
        // The new window applies from the next message on: the open batch then flushes 200 ms
        // after it, not 30 s after the first. The wait allows 15 s: at the suite's start, with
        // dozens of fleets starting on two cores, 5 s once passed without the reply.
        try await fleet.waitForStatus { $0.master.lastReload?.ok == true }
        try sandbox.send(bot: Self.bot, chat: Self.user, "now")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1, timeout: .seconds(15))
        #expect(sent[0].text == "waiting\nnow")
        let after = try fleet.client.send(.status).status
        #expect(after?.workers[0].pid == before.workers[0].pid, "same process")
        #expect(after?.workers[0].restarts == 0)
    }

    @Test func aJobThatKeepsFailingIsDeadLetteredAfterItsAttempts() async throws {
        let (fleet, sandbox) = try Self.start(
            """
            [handler]
            kind = "command"
            argv = ["sh", "-c", "cat > /dev/null; exit 3"]
            [retry]
            max_attempts = 3
            base_delay = "50ms"
            max_delay = "100ms"
            """, batch: "quiet = \"100ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "doomed")
        // The count goes up before the dead letter is stored, and the job leaves the in-flight
        // count after: a heartbeat between the two shows both at 1.
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.deadLettered == 1 && $0.workers.first?.bot?.inFlight == 0 }
        #expect(status.workers[0].bot?.jobFailures == 3)
        #expect(try sandbox.sent(bot: Self.bot).isEmpty)
        #expect(fleet.workerLog("echo").contains("job dead-lettered attempts=3 error=sh exit 3"))
    }

    /// Five 502s in a row open the circuit breaker for 10 s; with the default retry settings
    /// (3 attempts from 0.5 s) every job would run out of attempts inside that window if a
    /// refused call counted. It does not: all are answered once the API is back, none is
    /// dead-lettered.
    @Test func aShortBotAPIOutageDelaysRepliesAndDeadLettersNone() async throws {
        // One chat at a time, so the five 502s come in a row (with chats in parallel a success
        // can land between them and keep the breaker closed).
        let (fleet, sandbox) = try Self.start("[handler]\nconcurrency = 1", batch: "quiet = \"0s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.post("/sandbox/bots/\(Self.bot)/faults", #"{"method": "sendMessage", "status": 502, "count": 5}"#)
        let chats = (Int64(1)...8).map { Self.user * 100 + $0 }
        for chat in chats { try sandbox.send(bot: Self.bot, chat: chat, "during the outage \(chat)") }
        try await fleet.waitForStatus { $0.workers.first?.bot?.breaker == "open" }
        let status = try await fleet.waitForStatus(timeout: .seconds(40)) { $0.workers.first?.bot?.jobsOK == UInt64(chats.count) }
        #expect(status.workers[0].bot?.deadLettered == 0)
        #expect(status.workers[0].bot?.jobFailures == 5, "only the calls that were made count as attempts")
        for chat in chats {
            #expect(try sandbox.sent(bot: Self.bot, chat: chat).map(\.text) == ["during the outage \(chat)"])
        }
    }

    /// A chat's first reply fails and waits for its retry; its later messages wait behind it.
    /// The worker is killed meanwhile: the new process keeps them waiting too, so the chat's
    /// replies still go out in order.
    @Test func aChatsRepliesStayInOrderAcrossARetryAndAKill() async throws {
        // A retry 15-30 s out (equal jitter): the status polls that must see the chat waiting can
        // be late by seconds under the suite's load.
        let (fleet, sandbox) = try Self.start("[retry]\nbase_delay = \"30s\"\nmax_delay = \"30s\"", batch: "quiet = \"0s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let polling = try await Self.waitUntilPolling(fleet)
        let oldPID = try #require(polling.workers.first?.pid)
        try sandbox.post("/sandbox/bots/\(Self.bot)/faults", #"{"method": "sendMessage", "status": 500, "count": 1}"#)
        try sandbox.send(bot: Self.bot, chat: Self.user, "first")
        try await fleet.waitForStatus { $0.workers.first?.bot?.jobFailures == 1 }
        try sandbox.send(bot: Self.bot, chat: Self.user, "second")
        try sandbox.send(bot: Self.bot, chat: Self.user, "third")
        try await fleet.waitForStatus { $0.workers.first?.bot?.received == 3 && $0.workers.first?.bot?.inFlight == 2 }
        kill(oldPID, SIGKILL)
        try await fleet.waitForStatus { $0.workers.first?.pid != oldPID && $0.workers.first?.bot?.source == "polling" }
        try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 3, timeout: .seconds(60))
        try await Task.sleep(for: .milliseconds(500))
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).map(\.text) == ["first", "second", "third"])
    }

    @Test func theCommandHandlerReadsTheJobAndRepliesWithItsOutput() async throws {
        let (fleet, sandbox) = try Self.start(
            """
            [handler]
            kind = "command"
            argv = ["python3", "-c", "import json,sys; job=json.load(sys.stdin); print(job['bot'] + ':' + str(job['chat']['id']) + ':' + job['text'].upper() + ':' + str(len(job['messages'])))"]
            """, batch: "quiet = \"300ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "a")
        try sandbox.send(bot: Self.bot, chat: Self.user, "b")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(sent[0].text == "echo:42:A\nB:2")
    }
}

extension BotRuntimeEndToEndTests {
    @Test func aConflictingWebhookOnThePollingTokenIsReportedInStatus() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"100ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        // Someone else sets a webhook on the same token: getUpdates now answers 409.
        let set = try HTTPGet.post(
            port: sandbox.port, path: "/bot\(Self.bot):sandbox-secret/setWebhook", body: #"{"url": "http://127.0.0.1:9/elsewhere"}"#)
        #expect(set.status == 200)
        let status = try await fleet.waitForStatus { $0.workers.first?.bot?.source == "conflict" }
        #expect(status.workers[0].bot?.pollConflicts ?? 0 >= 1)
        #expect(status.workers[0].bot?.sourceProblem == "getUpdates answers 409: another poller or a webhook is using this token")
        #expect(fleet.workerLog("echo").contains("getUpdates answered 409: another poller or a webhook is using this token"))
        // It goes away again: the bot resumes polling.
        _ = try HTTPGet.post(port: sandbox.port, path: "/bot\(Self.bot):sandbox-secret/deleteWebhook", body: "{}")
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
    }
}

extension BotRuntimeEndToEndTests {
    @Test func theHTTPHandlerPostsTheJobAndCanHandTheChatOff() async throws {
        let backendPort = LoopbackPort.free()
        let script = TestFleet.fixture("backend.py")
        let backend = try ProcessSpawner.spawn(
            SpawnRequest(arguments: ["python3", script, "\(backendPort)"], environment: Environment.current(), descriptors: [:]))
        defer {
            kill(backend, SIGKILL)
            var status: Int32 = 0
            waitpid(backend, &status, 0)
        }
        let (fleet, sandbox) = try Self.start(
            """
            [handler]
            kind = "http"
            url = "http://127.0.0.1:\(backendPort)/reply"
            timeout = "2s"
            [handoff]
            operator_chat_id = -5
            """, batch: "quiet = \"200ms\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "hello")
        let sent = try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 1)
        #expect(sent[0].text == "backend: hello (bot echo, chat 42, user 42, 1 messages)")
        try sandbox.send(bot: Self.bot, chat: Self.user, "human please")
        try await sandbox.waitForSent(bot: Self.bot, chat: Self.user, count: 3)  // the backend's reply, then the handoff notice
        try await sandbox.waitForSent(bot: Self.bot, chat: -5, count: 1)
        try sandbox.send(bot: Self.bot, chat: Self.user, "are you there?")
        let forwarded = try await sandbox.waitForSent(bot: Self.bot, chat: -5, count: 2)
        #expect(forwarded[1].text == "are you there?")
        try await fleet.waitForStatus { $0.workers.first?.bot?.handoffs == 1 }
    }
}

extension BotRuntimeEndToEndTests {
    @Test func stoppingTheFleetFlushesOpenBatchesFirst() async throws {
        let (fleet, sandbox) = try Self.start(batch: "quiet = \"30s\"")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await Self.waitUntilPolling(fleet)
        try sandbox.send(bot: Self.bot, chat: Self.user, "answer me before you go")
        try await fleet.waitForStatus { $0.workers.first?.bot?.inFlight == 1 }
        let stop = try fleet.run(["stop"])
        #expect(stop.code == 0, "\(stop.output)")
        #expect(try sandbox.sent(bot: Self.bot, chat: Self.user).map(\.text) == ["answer me before you go"])
        // The drain confirmed the answered update: a new poller does not see it again.
        #expect(try sandbox.summary(bot: Self.bot).pendingUpdates == 0)
    }
}
