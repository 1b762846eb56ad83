import BotAPISandbox
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Glibc
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Broadcasts end to end: the real master, CLI and `botworker`, the real `botapi-sandbox`
/// answering 403, 400 and 429 as Telegram does, and `kill -9`. One test at a time, in a phase
/// of its own (`ops/test.sh`): each makes thousands of sends, and side by side they starved
/// the rest of the suite on two cores.
@Suite(.serialized) struct BroadcastEndToEndTests {
    static let bot: Int64 = 515
    static let notice = "Outage notice: we are back"

    /// A fleet with one polling bot `news` on the sandbox.
    static func start(rate: String = "per_second = 1000") throws -> (TestFleet, SandboxProcess) {
        let fleet = try TestFleet(workers: [:])
        let sandbox: SandboxProcess
        do {
            sandbox = try SandboxProcess(directory: fleet.home)
        } catch {
            fleet.tearDown()
            throw error
        }
        do {
            try fleet.write(
                id: "news",
                """
                token_env = "NEWS_TOKEN"
                api_base = "\(sandbox.apiBase)"
                [batch]
                quiet = "0s"
                [rate]
                \(rate)
                [limits]
                heartbeat_interval = "200ms"
                restart_cooldown = "0s"
                """)
            try fleet.startMaster(environment: ["NEWS_TOKEN": "\(bot):sandbox-secret"])
        } catch {
            fleet.tearDown()
            sandbox.stop()
            throw error
        }
        return (fleet, sandbox)
    }

    static func writeChats(_ chats: [Int64], in fleet: TestFleet) throws -> String {
        let path = "\(fleet.home)/chats.txt"
        try FileSystem.writeFileAtomically(path, Array(("# audience\n" + chats.map(String.init).joined(separator: "\n") + "\n").utf8))
        return path
    }

    /// Starts a broadcast with the CLI; returns its id.
    static func broadcast(_ fleet: TestFleet, _ arguments: [String]) throws -> BroadcastInfo {
        let run = try fleet.run(["broadcast", "news"] + arguments + ["--detach", "--json"])
        #expect(run.code == 0, "\(run.output)")
        return try JSONDecoder().decode(BroadcastInfo.self, from: Data(run.output.utf8))
    }

    static func show(_ fleet: TestFleet, _ id: String) throws -> BroadcastInfo? {
        try fleet.client.send(
            ControlRequest(command: "broadcast", id: "news", broadcast: BroadcastRequest(requestID: 0, action: .show, id: id))
        ).broadcasts?.first
    }

    /// Waits until the broadcast's state is `state`.
    @discardableResult
    static func waitFor(
        _ state: BroadcastState, _ id: String, in fleet: TestFleet, timeout: Duration = .seconds(90),
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> BroadcastInfo {
        let deadline = MonotonicTime.now() + timeout
        var last: BroadcastInfo?
        while MonotonicTime.now() < deadline {
            if let info = try? show(fleet, id) {
                last = info
                if info.state == state { return info }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record(
            "broadcast \(id) not \(state.rawValue) in time: \(String(describing: last))\nworker log:\n\(fleet.workerLog("news").suffix(3000))",
            sourceLocation: sourceLocation)
        throw TestFleet.TimedOut()
    }

    /// Sent copies of the notice, in the order the sandbox made them.
    static func copies(_ sandbox: SandboxProcess) throws -> [SentRecord] {
        try sandbox.sent(bot: bot).filter { $0.text == notice }
    }

    static func waitForCopies(_ count: Int, _ sandbox: SandboxProcess, timeout: Duration = .seconds(60)) async throws {
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            if try sandbox.summary(bot: bot).sentTotal >= count { return }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the sandbox saw fewer than \(count) messages")
        throw TestFleet.TimedOut()
    }

    static func calls(_ sandbox: SandboxProcess) throws -> [CallRecord] {
        let answer = try HTTPGet.get(port: sandbox.port, path: "/sandbox/bots/\(bot)/calls?method=sendMessage")
        return try JSONDecoder().decode([CallRecord].self, from: Data(answer.body.utf8))
    }

    @Test func fiveThousandChatsGetOneCopyEachInOrderThroughA429StormAndBlockedChatsAreMarked() async throws {
        let (fleet, sandbox) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
        // Two users write to the bot first: they are its known chats. One of them (500) has
        // blocked it by the time the broadcast comes.
        try sandbox.send(bot: Self.bot, chat: 7, "hello")
        try sandbox.send(bot: Self.bot, chat: 500, "hello")
        try await sandbox.waitForSent(bot: Self.bot, count: 2)
        let blocked = Array(stride(from: Int64(500), through: 5000, by: 500))
        let missing: Int64 = 4999
        try sandbox.post("/sandbox/bots/\(Self.bot)/chats", "{\"blocked\":\(blocked),\"missing\":[\(missing)]}")

        let audience = Array(Int64(1)...5000)
        let path = try Self.writeChats(audience, in: fleet)
        let started = WallClock.nowMilliseconds() * 1000
        let made = try Self.broadcast(fleet, ["--chats", path, "--text", Self.notice, "--rate", "400"])
        #expect(made.total == 5000)
        try await Self.waitForCopies(1500, sandbox)
        try sandbox.post(
            "/sandbox/bots/\(Self.bot)/faults", "{\"method\":\"sendMessage\",\"status\":429,\"retry_after\":2,\"count\":20}")
        let done = try await Self.waitFor(.done, made.id, in: fleet)

        let expected = audience.filter { !blocked.contains($0) && $0 != missing }
        let copies = try Self.copies(sandbox)
        let order = copies.map(\.chatID)
        #expect(order.count == expected.count && Set(order) == Set(expected), "every reachable chat once: \(order.count) copies")
        // In the list's order: each chat's first call is made in that order. With a window of
        // calls in flight (25 at 400/s) over several connections they reach the Bot API a little
        // shuffled: never more than a second's worth (400) from their place.
        let calls = try Self.calls(sandbox)
        var firstCalls: [Int64] = []
        var called: Set<Int64> = []
        for call in calls.sorted(by: { $0.arrivedUs < $1.arrivedUs }) where call.arrivedUs >= started {
            guard let chat = call.chatID, chat >= 1 && chat <= 5000, called.insert(chat).inserted else { continue }
            firstCalls.append(chat)
        }
        let place = Dictionary(uniqueKeysWithValues: audience.enumerated().map { ($0.element, $0.offset) })
        let displaced = firstCalls.enumerated().filter { abs((place[$0.element] ?? -1000) - $0.offset) > 400 }
        #expect(firstCalls.count == audience.count)
        #expect(
            displaced.isEmpty,
            "\(displaced.count) first calls out of the list's order by more than a second's worth: \(displaced.prefix(5))")
        #expect(done.counts == BroadcastCounts(sent: expected.count, blocked: blocked.count, invalid: 1, failed: 0))

        // The storm was obeyed: once the first 429 was answered, the bot started no call until
        // its retry_after (2 s) was over. Only the calls already on their way when it came (at
        // most the window, 25 at 400/s) may arrive meanwhile, however late a loaded machine
        // delivers them.
        let refused = calls.filter { $0.status == 429 }
        #expect(refused.count == 20)
        let firstRefusal = try #require(refused.first)
        let duringPause = calls.filter { $0.arrivedUs > firstRefusal.answeredUs && $0.arrivedUs < firstRefusal.answeredUs + 1_950_000 }
        #expect(duringPause.count <= 25, "\(duringPause.count) calls arrived during the retry_after of 2 s")

        let report = try fleet.run(["broadcast", "show", "news", made.id])
        #expect(report.output.contains("4989 sent, 10 blocked, 1 invalid, 0 failed"), "\(report.output)")
        #expect(report.output.contains("500\tblocked\tForbidden: bot was blocked by the user"), "\(report.output)")
        #expect(report.output.contains("4999\tinvalid\t400: Bad Request: chat not found"), "\(report.output)")
        let list = try fleet.run(["broadcast", "list", "news"])
        #expect(list.output.contains("\(made.id)\tdone\tlist\t5000/5000"), "\(list.output)")

        // The chat that blocked the bot is left out of a broadcast to the known chats.
        let known = try Self.broadcast(fleet, ["--known", "--text", "second"])
        #expect(known.total == 1)
        try await Self.waitFor(.done, known.id, in: fleet)
        #expect(try sandbox.sent(bot: Self.bot).filter { $0.text == "second" }.map(\.chatID) == [7])
        #expect(!fleet.workerLog("news").contains(Self.notice), "message texts never reach a log")
    }

    @Test func aBroadcastResumesAfterItsWorkerAndItsMasterAreKilled() async throws {
        let (fleet, sandbox) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
        let audience = Array(Int64(10_001)...13_000)
        let path = try Self.writeChats(audience, in: fleet)
        let rate = 200.0
        let made = try Self.broadcast(fleet, ["--chats", path, "--text", Self.notice, "--rate", "\(Int(rate))"])
        var kills: [Int64] = []

        try await Self.waitForCopies(700, sandbox)
        let workerPID = try #require(try fleet.client.send(.status).status?.workers.first?.pid)
        kills.append(WallClock.nowMilliseconds() * 1000)
        kill(workerPID, SIGKILL)
        try await fleet.waitForStatus { $0.workers.first?.pid != workerPID && $0.workers.first?.bot?.broadcastsRunning == 1 }

        try await Self.waitForCopies(1800, sandbox)
        let master = try #require(fleet.masterPID)
        let secondWorker = try #require(try fleet.client.send(.status).status?.workers.first?.pid)
        kills.append(WallClock.nowMilliseconds() * 1000)
        kill(master, SIGKILL)
        _ = fleet.waitFor(master)
        // Its worker notices the master is gone (parent-death signal, end of the pipe) and stops.
        try await waitUntilGone(secondWorker)
        try fleet.startMaster(environment: ["NEWS_TOKEN": "\(Self.bot):sandbox-secret"])
        let done = try await Self.waitFor(.done, made.id, in: fleet)

        let copies = try Self.copies(sandbox)
        var seen: [Int64: [SentRecord]] = [:]
        for copy in copies { seen[copy.chatID, default: []].append(copy) }
        let missing = Set(audience).subtracting(seen.keys).sorted()
        #expect(
            missing.isEmpty,
            "\(missing.count) chats never got the message, such as \(missing.prefix(10)); worker log:\n\(fleet.workerLog("news").suffix(3000))"
        )
        let duplicates = seen.filter { $0.value.count > 1 }
        // At most one window of calls in flight per kill, and each first copy was made by the
        // sandbox around a kill: shortly before it (seconds on a loaded machine, where a
        // record's commit waits its turn), or just after it for a call already on its way to
        // the sandbox when the worker died. Its outcome never reached the worker's store.
        let window = Int((rate / 16).rounded(.up))
        #expect(duplicates.count <= 2 * window, "duplicates: \(duplicates.keys.sorted().prefix(40))")
        for (chat, records) in duplicates {
            #expect(records.count == 2, "chat \(chat) got \(records.count) copies")
            let first = records[0].atUs
            #expect(
                kills.contains { first >= $0 - 5_000_000 && first <= $0 + 2_000_000 },
                "chat \(chat)'s first copy was not in flight at a kill")
        }
        #expect(done.counts.sent == audience.count)
        #expect(copies.map(\.chatID).reduce(into: [Int64]()) { if $0.last != $1 { $0.append($1) } }.count >= audience.count)
    }

    @Test func aUserWhoWritesDuringABroadcastIsAnsweredWithinASecondOfTheUsualLatency() async throws {
        let (fleet, sandbox) = try Self.start(rate: "per_second = 30")
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
        let user: Int64 = 99
        func replyLatency(_ text: String) async throws -> Duration {
            let before = try sandbox.sent(bot: Self.bot, chat: user).count
            let sentAt = MonotonicTime.now()
            try sandbox.send(bot: Self.bot, chat: user, text)
            try await sandbox.waitForSent(bot: Self.bot, chat: user, count: before + 1, timeout: .seconds(20))
            return MonotonicTime.now() - sentAt
        }
        var usual: [Duration] = []
        for round in 0..<3 {
            usual.append(try await replyLatency("before \(round)"))
            try await Task.sleep(for: .milliseconds(1100))
        }
        // The default broadcast rate (25/s) of the default bot-wide 30/s: the broadcast takes
        // nearly the whole budget, and replies still go first.
        let path = try Self.writeChats(Array(Int64(20_001)...21_000), in: fleet)
        let made = try Self.broadcast(fleet, ["--chats", path, "--text", Self.notice])
        try await Self.waitForCopies(103, sandbox)
        var during: [Duration] = []
        for round in 0..<3 {
            during.append(try await replyLatency("during \(round)"))
            try await Task.sleep(for: .milliseconds(1100))
        }
        let info = try #require(try Self.show(fleet, made.id))
        #expect(info.state == .running, "the broadcast was still sending while the user wrote")
        #expect(info.ratePerSecond == 25)
        let worstUsual = try #require(usual.max())
        for latency in during {
            #expect(latency <= worstUsual + .seconds(1), "reply latency \(latency) during a broadcast; usual \(usual)")
        }
        _ = try fleet.run(["broadcast", "cancel", "news", made.id])
    }

    @Test func aBroadcastPausesResumesAndCancels() async throws {
        let (fleet, sandbox) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
        let path = try Self.writeChats(Array(Int64(1)...3000), in: fleet)
        let made = try Self.broadcast(fleet, ["--chats", path, "--text", Self.notice, "--rate", "100"])
        try await Self.waitForCopies(100, sandbox)

        // Pause and cancel also through the HTTP API, as a dashboard or a script would.
        let paused = try HTTPGet.post(port: fleet.statusPort, path: "/api/bots/news/broadcasts/\(made.id)/pause", body: "")
        #expect(paused.status == 200, "\(paused.body)")
        let atPause = try await Self.waitFor(.paused, made.id, in: fleet)
        // In flight when the pause came: at most one window (7 at 100/s) still lands.
        try await Task.sleep(for: .milliseconds(1500))
        let heldCount = try Self.copies(sandbox).count
        #expect(heldCount <= atPause.counts.done + 7)
        try await Task.sleep(for: .seconds(1))
        #expect(try Self.copies(sandbox).count == heldCount, "nothing is sent while paused (1 s = 100 messages at its rate)")

        let resumed = try fleet.run(["broadcast", "resume", "news", made.id])
        #expect(resumed.code == 0, "\(resumed.output)")
        try await Self.waitForCopies(heldCount + 150, sandbox)
        #expect(try Self.show(fleet, made.id)?.state == .running)

        let cancelled = try HTTPGet.post(port: fleet.statusPort, path: "/api/bots/news/broadcasts/\(made.id)/cancel", body: "")
        #expect(cancelled.status == 200, "\(cancelled.body)")
        let final = try await Self.waitFor(.cancelled, made.id, in: fleet)
        try await Task.sleep(for: .milliseconds(1500))
        let afterCancel = try Self.copies(sandbox)
        try await Task.sleep(for: .seconds(1))
        #expect(try Self.copies(sandbox).count == afterCancel.count, "nothing is sent once cancelled")
        #expect(afterCancel.count < 3000)
        #expect(Set(afterCancel.map(\.chatID)).count == afterCancel.count, "no chat twice across pause and resume")
        #expect(final.finishedMs != nil)
        let again = try HTTPGet.post(port: fleet.statusPort, path: "/api/bots/news/broadcasts/\(made.id)/resume", body: "")
        // The worker answers at once after a stop: its runner once spun when the stop found the
        // window full of given-up sends, and every later action timed out (409).
        #expect(again.status == 422, "a cancelled broadcast cannot be resumed: \(again.status) \(again.body)")
        #expect(try Self.show(fleet, made.id)?.state == .cancelled, "a cancelled broadcast stays cancelled")
    }

    @Test func badBroadcastRequestsAreRefusedWithTheirReason() async throws {
        let (fleet, sandbox) = try Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        try await fleet.waitForStatus { $0.workers.first?.bot?.source == "polling" }
        let badFile = "\(fleet.home)/bad.txt"
        try FileSystem.writeFileAtomically(badFile, Array("12\nnot-a-chat\n".utf8))
        let bad = try fleet.run(["broadcast", "news", "--chats", badFile, "--text", "x"])
        #expect(bad.code != 0)
        #expect(bad.output.contains("\(badFile): line 2: \"not-a-chat\" is not a chat id"), "\(bad.output)")
        let tooFast = try fleet.run(["broadcast", "news", "--known", "--text", "x", "--rate", "5000"])
        #expect(tooFast.output.contains("at most 1000"), "\(tooFast.output)")
        let nobody = try fleet.run(["broadcast", "nobody", "--known", "--text", "x"])
        #expect(nobody.output.contains("no bot nobody"), "\(nobody.output)")
        let unknown = try fleet.run(["broadcast", "show", "news", "41"])
        #expect(unknown.output.contains("no broadcast 41"), "\(unknown.output)")
        let api = try HTTPGet.post(port: fleet.statusPort, path: "/api/bots/news/broadcasts", body: "{\"text\":\"\",\"chats\":[1]}")
        #expect(api.status == 422, "\(api.body)")
        #expect(api.body.contains("the text is empty"))
        let made = try HTTPGet.post(
            port: fleet.statusPort, path: "/api/bots/news/broadcasts",
            body: "{\"text\":\"<b>hi</b>\",\"parse_mode\":\"HTML\",\"chats\":[5,6]}")
        #expect(made.status == 201, "\(made.body)")
        let info = try JSONDecoder().decode(BroadcastInfo.self, from: Data(made.body.utf8))
        try await Self.waitFor(.done, info.id, in: fleet)
        let listing = try HTTPGet.get(port: fleet.statusPort, path: "/api/bots/news/broadcasts")
        #expect(listing.body.contains("\"id\":\"\(info.id)\""), "\(listing.body)")
    }

    private func waitUntilGone(_ pid: pid_t) async throws {
        let deadline = MonotonicTime.now() + .seconds(30)
        while kill(pid, 0) == 0 && MonotonicTime.now() < deadline { try await Task.sleep(for: .milliseconds(50)) }
    }
}
