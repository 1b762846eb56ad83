import BotRedis
import BotmasterIPC
import RedisServerFixture
import Testing

@testable import BotEngine

/// The runtime's Redis protocol (``RedisBotState`` and its Lua scripts) against a real
/// redis-server.
@Suite(.serialized)
final class RedisBotStateTests {
    let server: RedisServerProcess
    private var opened: [RedisBotState] = []

    init() throws {
        server = try RedisServerProcess()
    }

    deinit {
        // Clients first (their threads), then the server.
        for store in opened { store.syncShutdown() }
        server.tearDown()
    }

    private func state(_ bot: String = "bot", fleet: String = "tests") -> RedisBotState {
        let store = RedisBotState(url: server.url, fleet: fleet, bot: bot)
        opened.append(store)
        return store
    }

    private func message(_ update: Int64, _ text: String) -> JobMessage {
        JobMessage(updateID: update, messageID: update + 1000, text: text, userID: 7, firstName: "Ann", chatType: "private")
    }

    private static let slowBatch = BotSettings.Batch(quietMs: 60_000, maxMessages: 10, maxWaitMs: 120_000)

    @Test func dedupDropsARepeatedUpdateAndARepeatedMessageAndStoresTheOffset() async throws {
        let store = state()
        _ = try await store.prepare()
        let first = try await store.intake(
            updateID: 10, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: .batch(message(10, "a"), Self.slowBatch))
        #expect(first != .duplicate)
        let again = try await store.intake(
            updateID: 10, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: .batch(message(10, "a"), Self.slowBatch))
        #expect(again == .duplicate)
        let sameMessage = try await store.intake(
            updateID: 11, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: .batch(message(11, "a"), Self.slowBatch))
        #expect(sameMessage == .duplicate)
        let snapshot = try await store.prepare()
        #expect(snapshot.offset == 12)
        #expect(snapshot.openBatches.map(\.chat) == [1])
    }

    /// A poll's updates go in one pipeline; one that cannot be kept stops the stored offset
    /// there and leaves no dedup mark, so reading the poll again takes it (and drops the rest).
    @Test func aPollsPipelineNeverMovesTheOffsetPastAnUpdateItCouldNotKeep() async throws {
        let store = state()
        _ = try await store.prepare()
        // Someone else's key of the wrong type where chat 2's batch goes: its intake fails.
        _ = try await store.client.command("SET", store.keys.prefix + "batch:2", "not a list")
        func poll() -> [RedisBotState.IntakeItem] {
            var previous: Int64?
            return [Int64(1), 2, 3].map { update in
                defer { previous = update }
                return .init(
                    updateID: update, chatID: update, messageID: update, dedupWindowMs: 30_000,
                    action: .batch(message(update, "m\(update)"), Self.slowBatch), after: previous)
            }
        }
        let first = try await store.intake(poll())
        #expect((try? first[0].get()) != nil)
        #expect((try? first[1].get()) == nil)
        #expect(try await store.prepare().offset == 2, "not past update 2")
        _ = try await store.client.command("DEL", store.keys.prefix + "batch:2")
        let again = try await store.intake(poll()).map { try $0.get() }
        #expect(again[0] == .duplicate)
        #expect(again[1] != .duplicate, "update 2 left no dedup mark when it failed")
        #expect(again[2] == .duplicate)
        #expect(try await store.prepare().offset == 4)
    }

    @Test func aWebhookDeliveryIsDedupedButMovesNoOffset() async throws {
        let store = state()
        _ = try await store.prepare()
        let delivery = RedisBotState.IntakeItem(
            updateID: 70, chatID: 1, messageID: 70, dedupWindowMs: 30_000, action: .batch(message(70, "hook"), Self.slowBatch),
            polled: false)
        #expect(try await store.intake([delivery])[0].get() != .duplicate)
        #expect(try await store.intake([delivery])[0].get() == .duplicate)
        #expect(try await store.prepare().offset == nil)
    }

    @Test func aBatchIsTakenWholeInOrderOnceAndItsExpiryIsRefreshedOnEveryAppend() async throws {
        let store = state()
        _ = try await store.prepare()
        for (index, text) in ["one", "two", "three"].enumerated() {
            let outcome = try await store.intake(
                updateID: Int64(index + 1), chatID: 42, messageID: Int64(index + 1), dedupWindowMs: 0,
                action: .batch(message(Int64(index + 1), text), Self.slowBatch))
            guard case .batched(let due) = outcome else { Issue.record("not batched: \(outcome)"); return }
            #expect(due > .seconds(50))
        }
        let ttl = try await store.client.command("PTTL", store.keys.prefix + "batch:42").integer ?? 0
        #expect(ttl > Int64(RedisKeys.batchTTLMilliseconds) - 60_000)
        guard case .later = try await store.flush(chatID: 42, force: false) else { Issue.record("flushed before due"); return }
        #expect(try await store.flush(chatID: 42, force: true) == .flushed)
        #expect(try await store.flush(chatID: 42, force: true) == .gone)
        let jobs = try await store.take(pending: false, count: 10, block: .milliseconds(100))
        #expect(jobs.count == 1)
        #expect(jobs.first?.messages.map(\.text) == ["one", "two", "three"])
        #expect(jobs.first?.updateIDs == [1, 2, 3])
        #expect(jobs.first?.messages.first?.firstName == "Ann")
    }

    @Test func aFullBatchBecomesAJobAtOnce() async throws {
        let store = state()
        _ = try await store.prepare()
        let batch = BotSettings.Batch(quietMs: 60_000, maxMessages: 2, maxWaitMs: 120_000)
        _ = try await store.intake(updateID: 1, chatID: 5, messageID: 1, dedupWindowMs: 0, action: .batch(message(1, "a"), batch))
        let second = try await store.intake(
            updateID: 2, chatID: 5, messageID: 2, dedupWindowMs: 0, action: .batch(message(2, "b"), batch))
        #expect(second == .queued)
        let jobs = try await store.take(pending: false, count: 10, block: .milliseconds(100))
        #expect(jobs.map(\.mergedText) == ["a\nb"])
        #expect(try await store.prepare().openBatches.isEmpty)
    }

    /// Seed 002: two processes flushing the same batch keys at the same moment. Each batch must
    /// become exactly one job holding every message.
    @Test func twoWorkersRacingOnTheSameBatchesNeverBothFlushOne() async throws {
        let left = state()
        let right = state()
        _ = try await left.prepare()
        let chats = Array(Int64(1)...200)
        var update: Int64 = 0
        for chat in chats {
            for text in ["x", "y", "z"] {
                update += 1
                _ = try await (chat.isMultiple(of: 2) ? left : right).intake(
                    updateID: update, chatID: chat, messageID: update, dedupWindowMs: 0,
                    action: .batch(message(update, text), Self.slowBatch))
            }
        }
        async let leftFlushes = chats.asyncMap { try await left.flush(chatID: $0, force: true) }
        async let rightFlushes = chats.asyncMap { try await right.flush(chatID: $0, force: true) }
        let outcomes = try await zip(leftFlushes, rightFlushes)
        for (a, b) in outcomes {
            #expect([a, b].filter { $0 == .flushed }.count == 1)
        }
        var jobs: [BotJob] = []
        while true {
            let taken = try await left.take(pending: false, count: 100, block: .milliseconds(50))
            if taken.isEmpty { break }
            jobs += taken
        }
        #expect(jobs.count == chats.count)
        #expect(Set(jobs.map(\.chatID)) == Set(chats))
        #expect(jobs.allSatisfy { $0.mergedText == "x\ny\nz" })
    }

    @Test func aFailedJobWaitsInTheRetrySetThenComesBackWithItsReplyAndStepsKept() async throws {
        let store = state()
        _ = try await store.prepare()
        _ = try await store.intake(
            updateID: 1, chatID: 9, messageID: 1, dedupWindowMs: 0,
            action: .batch(message(1, "hi"), BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)))
        var job = try #require(try await store.take(pending: false, count: 10, block: .milliseconds(100)).first)
        job.failures = 1
        job.reply = HandlerReply(reply: "HI")
        try await store.scheduleRetry(job, delay: .milliseconds(300))
        #expect(try await RedisJobQueue(client: store.client, key: store.keys.jobs, group: RedisKeys.group).pendingCount() == 0)
        let early = try await store.promoteDueRetries()
        #expect(early != nil)
        #expect(try await store.take(pending: false, count: 10, block: .milliseconds(50)).isEmpty)
        try await Task.sleep(for: .milliseconds(350))
        #expect(try await store.promoteDueRetries() == nil)
        let back = try #require(try await store.take(pending: false, count: 10, block: .milliseconds(100)).first)
        #expect(back.failures == 1)
        #expect(back.reply == HandlerReply(reply: "HI"))
        #expect(back.key == job.key)
    }

    @Test func aDeadLetterKeepsItsErrorAndRunsAgainExactlyOnce() async throws {
        let store = state()
        _ = try await store.prepare()
        _ = try await store.intake(
            updateID: 3, chatID: 4, messageID: 3, dedupWindowMs: 0,
            action: .batch(message(3, "broken"), BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)))
        var job = try #require(try await store.take(pending: false, count: 10, block: .milliseconds(100)).first)
        job.failures = 3
        let entry = DeadLetterEntry(
            key: job.key, chat: 4, kind: "batch", updateIDs: [3], attempts: 3, lastError: "backend said 500", atMs: 1,
            texts: ["broken"])
        try await store.deadLetter(job, entry: entry)
        let letters = try await store.deadLetters()
        #expect(letters.map(\.letter.entry) == [entry])
        #expect(try await RedisJobQueue(client: store.client, key: store.keys.jobs, group: RedisKeys.group).pendingCount() == 0)
        let raw = letters[0].raw
        #expect(try await store.requeue(raw: raw, job: letters[0].letter.job))
        #expect(try await store.requeue(raw: raw, job: letters[0].letter.job) == false)
        let again = try await store.take(pending: false, count: 10, block: .milliseconds(100))
        #expect(again.count == 1)
        #expect(again.first?.failures == 0)
        #expect(try await store.deadLetters().isEmpty)
    }

    @Test func aSuccessorTakesOverUnfinishedJobsAndSkipsTheirRecordedSteps() async throws {
        let first = state()
        _ = try await first.prepare()
        let quick = BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)
        _ = try await first.intake(updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 0, action: .batch(message(1, "a"), quick))
        _ = try await first.intake(updateID: 2, chatID: 2, messageID: 2, dedupWindowMs: 0, action: .batch(message(2, "b"), quick))
        var jobs = try await first.take(pending: false, count: 10, block: .milliseconds(100))
        #expect(jobs.count == 2)
        // The first job's reply went out; the process dies before acknowledging either.
        jobs[0].stepsDone.insert(0)
        jobs[0].unrecordedSteps = [(0, 555)]
        try await first.recordSteps(of: jobs[0])
        await first.shutdown()

        let successor = state()
        let taken = try await successor.take(pending: true, count: 10, block: .zero)
        #expect(taken.map(\.key) == jobs.map(\.key))
        #expect(taken.allSatisfy { $0.redelivered })
        #expect(try await successor.stepsDone(of: taken[0]) == [0])
        #expect(try await successor.stepsDone(of: taken[1]).isEmpty)
        for job in taken { try await successor.finish(job) }
        #expect(try await successor.take(pending: true, count: 10, block: .zero).isEmpty)
    }

    @Test func handoffStateAndOperatorThreadsSurviveTheProcess() async throws {
        let store = state()
        _ = try await store.prepare()
        let started = BotJob(chatID: 77, kind: .handoffStarted, updateIDs: [1])
        _ = try await store.intake(
            updateID: 1, chatID: 77, messageID: 1, dedupWindowMs: 0, action: .job(started, handoff: .start))
        try await store.rememberThread(operatorMessageID: 900, userChat: 77)
        #expect(try await store.prepare().handoffChats == [77])
        #expect(try await store.thread(operatorMessageID: 900) == 77)
        // The operator (another chat) ends it by replying to the thread.
        let ended = BotJob(chatID: 77, kind: .handoffEnded, updateIDs: [2])
        _ = try await store.intake(
            updateID: 2, chatID: -100, messageID: 2, dedupWindowMs: 0, action: .job(ended, handoff: .end))
        #expect(try await store.prepare().handoffChats.isEmpty)
    }

    @Test func keysOfTwoFleetsNeverMeet() async throws {
        let one = state("same", fleet: "alpha")
        let two = state("same", fleet: "beta")
        _ = try await one.prepare()
        _ = try await two.prepare()
        _ = try await one.intake(updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 30_000, action: .none)
        #expect(try await two.intake(updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 30_000, action: .none) != .duplicate)
        let keys = try await one.client.command("KEYS", "*").array?.compactMap(\.string) ?? []
        #expect(keys.allSatisfy { $0.hasPrefix("botmaster:alpha:same:") || $0.hasPrefix("botmaster:beta:same:") })
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        result.reserveCapacity(count)
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
