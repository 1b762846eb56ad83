import BotmasterIPC
import Testing

@testable import BotEngine

/// The ``BotStore`` contract, the same tests against every store (Redis on a real
/// `redis-server`). What only a durable store can keep — a successor's view — runs against
/// SQLite and Redis.
@Suite(.serialized) struct StoreConformanceTests {
    typealias Samples = StoreSamples
    static let all = BotSettings.Store.allCases
    static let durable: [BotSettings.Store] = [.sqlite, .redis]

    @Test(arguments: all) func dedupDropsARepeatedUpdateAndARepeatedMessageAndStoresTheOffset(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let batch = IntakeAction.batch(Samples.message(10, "a"), Samples.slowBatch)
        #expect(try await store.intake(updateID: 10, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: batch) != .duplicate)
        #expect(try await store.intake(updateID: 10, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: batch) == .duplicate)
        let sameMessage = IntakeAction.batch(Samples.message(11, "a"), Samples.slowBatch)
        #expect(try await store.intake(updateID: 11, chatID: 1, messageID: 5, dedupWindowMs: 30_000, action: sameMessage) == .duplicate)
        let snapshot = try await store.open()
        #expect(snapshot.offset == 12)
        #expect(snapshot.openBatches.map(\.chat) == [1])
        await store.close()
    }

    @Test(arguments: all) func aWebhookDeliveryIsDedupedButMovesNoOffset(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let action = IntakeAction.batch(Samples.message(70, "hook"), Samples.slowBatch)
        #expect(
            try await store.intake(updateID: 70, chatID: 1, messageID: 70, dedupWindowMs: 30_000, action: action, polled: false)
                != .duplicate)
        #expect(
            try await store.intake(updateID: 70, chatID: 1, messageID: 70, dedupWindowMs: 30_000, action: action, polled: false)
                == .duplicate)
        #expect(try await store.open().offset == nil)
        await store.close()
    }

    /// A poll's group moves the offset only past an unbroken run: an item whose predecessor is
    /// not in does not move it.
    @Test(arguments: all) func aPollsGroupMovesTheOffsetOnlyPastAnUnbrokenRun(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let items = [Int64(1), 2, 3].map { update in
            IntakeItem(
                updateID: update, chatID: update, messageID: update, dedupWindowMs: 30_000,
                action: .batch(Samples.message(update, "m\(update)"), Samples.slowBatch), after: update == 1 ? nil : update - 1)
        }
        _ = try await store.intake([items[0]])
        // Update 2 never came in: 3's predecessor is missing, so the offset stays after 1.
        _ = try await store.intake([items[2]])
        #expect(try await store.open().offset == 2)
        _ = try await store.intake([items[1]])
        #expect(try await store.open().offset == 3)
        await store.close()
    }

    @Test(arguments: all) func aBatchIsTakenWholeInOrderOnce(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        for (index, text) in ["one", "two", "three"].enumerated() {
            let update = Int64(index + 1)
            let outcome = try await store.intake(
                updateID: update, chatID: 42, messageID: update, dedupWindowMs: 0,
                action: .batch(Samples.message(update, text), Samples.slowBatch))
            guard case .batched(let due) = outcome else { Issue.record("not batched: \(outcome)"); return }
            #expect(due > .seconds(50))
        }
        guard case .later = try await store.flush(chatID: 42, force: false) else { Issue.record("flushed before due"); return }
        #expect(try await store.flush(chatID: 42, force: true) == .flushed)
        #expect(try await store.flush(chatID: 42, force: true) == .gone)
        let jobs = try await store.take(count: 10, wait: .milliseconds(100))
        #expect(jobs.count == 1)
        #expect(jobs.first?.messages.map(\.text) == ["one", "two", "three"])
        #expect(jobs.first?.updateIDs == [1, 2, 3])
        #expect(jobs.first?.messages.first?.firstName == "Ann")
        #expect(try await store.take(count: 10, wait: .zero).isEmpty, "each job is handed out once")
        await store.close()
    }

    @Test(arguments: all) func aFullBatchBecomesAJobAtOnceAndBatchingOffMakesEachMessageAJob(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let two = BotSettings.Batch(quietMs: 60_000, maxMessages: 2, maxWaitMs: 120_000)
        _ = try await store.intake(updateID: 1, chatID: 5, messageID: 1, dedupWindowMs: 0, action: .batch(Samples.message(1, "a"), two))
        #expect(
            try await store.intake(updateID: 2, chatID: 5, messageID: 2, dedupWindowMs: 0, action: .batch(Samples.message(2, "b"), two))
                == .queued)
        #expect(
            try await store.intake(
                updateID: 3, chatID: 6, messageID: 3, dedupWindowMs: 0, action: .batch(Samples.message(3, "c"), Samples.noBatch)) == .queued
        )
        let jobs = try await store.take(count: 10, wait: .milliseconds(100))
        #expect(jobs.map(\.mergedText) == ["a\nb", "c"])
        #expect(try await store.open().openBatches.isEmpty)
        await store.close()
    }

    @Test(arguments: all) func aTakeWaitsForTheNextJob(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        async let taken = store.take(count: 10, wait: .seconds(5))
        try await Task.sleep(for: .milliseconds(100))
        _ = try await store.intake(
            updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 0, action: .batch(Samples.message(1, "x"), Samples.noBatch))
        #expect(try await taken.map(\.mergedText) == ["x"])
        await store.close()
    }

    @Test(arguments: all) func aFailedJobWaitsInTheRetryScheduleThenComesBackWithItsReplyKept(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        _ = try await store.intake(
            updateID: 1, chatID: 9, messageID: 1, dedupWindowMs: 0, action: .batch(Samples.message(1, "hi"), Samples.noBatch))
        var job = try #require(try await store.take(count: 10, wait: .milliseconds(100)).first)
        job.failures = 1
        job.reply = HandlerReply(reply: "HI")
        try await store.scheduleRetry(job, delay: .milliseconds(300))
        #expect(try await store.promoteDueRetries() != nil)
        #expect(try await store.take(count: 10, wait: .milliseconds(50)).isEmpty)
        try await Task.sleep(for: .milliseconds(350))
        #expect(try await store.promoteDueRetries() == nil)
        let back = try #require(try await store.take(count: 10, wait: .milliseconds(100)).first)
        #expect(back.failures == 1)
        #expect(back.reply == HandlerReply(reply: "HI"))
        #expect(back.key == job.key)
        await store.close()
    }

    @Test(arguments: all) func aDeadLetterKeepsItsErrorAndRunsAgainExactlyOnce(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        _ = try await store.intake(
            updateID: 3, chatID: 4, messageID: 3, dedupWindowMs: 0, action: .batch(Samples.message(3, "broken"), Samples.noBatch))
        var job = try #require(try await store.take(count: 10, wait: .milliseconds(100)).first)
        job.failures = 3
        let entry = DeadLetterEntry(
            key: job.key, chat: 4, kind: "batch", updateIDs: [3], attempts: 3, lastError: "backend said 500", atMs: 1, texts: ["broken"])
        try await store.deadLetter(job, entry: entry)
        let letters = try await store.deadLetters()
        #expect(letters.map(\.entry) == [entry])
        #expect(try await store.take(count: 10, wait: .zero).isEmpty)
        #expect(try await store.requeue(letters[0]))
        #expect(try await store.requeue(letters[0]) == false)
        let again = try await store.take(count: 10, wait: .milliseconds(100))
        #expect(again.count == 1)
        #expect(again.first?.failures == 0)
        #expect(try await store.deadLetters().isEmpty)
        try await store.deadLetter(again[0], entry: entry)
        #expect(try await store.purgeDeadLetters() == 1)
        #expect(try await store.deadLetters().isEmpty)
        await store.close()
    }

    @Test(arguments: all) func recordedStepsAreReadBack(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        _ = try await store.intake(
            updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 0, action: .batch(Samples.message(1, "a"), Samples.noBatch))
        var job = try #require(try await store.take(count: 10, wait: .milliseconds(100)).first)
        #expect(try await store.stepsDone(of: job).isEmpty)
        job.unrecordedSteps = [(0, 555)]
        try await store.recordSteps(of: job)
        #expect(try await store.stepsDone(of: job) == [0])
        await store.close()
    }

    @Test(arguments: all) func handoffStateAndOperatorThreadsAreKept(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let started = BotJob(chatID: 77, kind: .handoffStarted, updateIDs: [1])
        _ = try await store.intake(updateID: 1, chatID: 77, messageID: 1, dedupWindowMs: 0, action: .job(started, handoff: .start))
        try await store.rememberThread(operatorMessageID: 900, userChat: 77)
        #expect(try await store.open().handoffChats == [77])
        #expect(try await store.thread(operatorMessageID: 900) == 77)
        #expect(try await store.thread(operatorMessageID: 901) == nil)
        let ended = BotJob(chatID: 77, kind: .handoffEnded, updateIDs: [2])
        _ = try await store.intake(updateID: 2, chatID: -100, messageID: 2, dedupWindowMs: 0, action: .job(ended, handoff: .end))
        #expect(try await store.open().handoffChats.isEmpty)
        await store.close()
    }

    /// A process dies between a job's reply and its acknowledgement: its successor gets the
    /// unfinished jobs, with the steps recorded so far, and nothing new twice.
    @Test(arguments: durable) func aSuccessorTakesOverUnfinishedJobsAndSkipsTheirRecordedSteps(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let first = fixture.store()
        _ = try await first.open()
        _ = try await first.intake(
            updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 0, action: .batch(Samples.message(1, "a"), Samples.noBatch))
        _ = try await first.intake(
            updateID: 2, chatID: 2, messageID: 2, dedupWindowMs: 0, action: .batch(Samples.message(2, "b"), Samples.noBatch))
        var jobs = try await first.take(count: 10, wait: .milliseconds(100))
        #expect(jobs.count == 2)
        jobs[0].stepsDone.insert(0)
        jobs[0].unrecordedSteps = [(0, 555)]
        try await first.recordSteps(of: jobs[0])
        _ = try await first.intake(
            updateID: 3, chatID: 3, messageID: 3, dedupWindowMs: 0, action: .batch(Samples.message(3, "c"), Samples.slowBatch))
        await first.close()

        let successor = fixture.store()
        let snapshot = try await successor.open()
        #expect(snapshot.offset == 4)
        #expect(snapshot.openBatches.map(\.chat) == [3], "the open batch waits for the successor")
        let taken = try await successor.takeUnfinished(after: "", count: 10)
        #expect(taken.map(\.key) == jobs.map(\.key))
        #expect(taken.allSatisfy { $0.redelivered })
        #expect(try await successor.stepsDone(of: taken[0]) == [0])
        #expect(try await successor.stepsDone(of: taken[1]).isEmpty)
        #expect(try await successor.takeUnfinished(after: taken[1].storeID ?? "", count: 10).isEmpty)
        for job in taken { try await successor.finish(job) }
        #expect(try await successor.take(count: 10, wait: .zero).isEmpty, "unfinished jobs are not handed out again as new")
        await successor.close()
        let third = fixture.store()
        _ = try await third.open()
        #expect(try await third.takeUnfinished(after: "", count: 10).isEmpty)
        await third.close()
    }

    /// A successor learns which chats wait for a retry, whether the retry is still scheduled or
    /// already back in the queue, so it keeps their later jobs behind it.
    @Test(arguments: durable) func aSuccessorKnowsWhichChatsWaitForARetry(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let first = fixture.store()
        _ = try await first.open()
        for (update, chat) in [(1, 5), (2, 6), (3, 5), (4, 7)] {
            _ = try await first.intake(
                updateID: Int64(update), chatID: Int64(chat), messageID: Int64(update), dedupWindowMs: 0,
                action: .batch(Samples.message(Int64(update), "m\(update)"), Samples.noBatch))
        }
        let jobs = try await first.take(count: 10, wait: .milliseconds(100))
        #expect(jobs.map(\.chatID) == [5, 6, 5, 7])
        var failed = jobs[0]
        failed.failures = 1
        failed.retried = true
        try await first.scheduleRetry(failed, delay: .seconds(60))
        var soon = jobs[1]
        soon.failures = 1
        soon.retried = true
        try await first.scheduleRetry(soon, delay: .zero)
        _ = try await first.promoteDueRetries()
        await first.close()

        let successor = fixture.store()
        let snapshot = try await successor.open()
        #expect(snapshot.chatsAwaitingRetry == [5, 6], "scheduled (5) and back in the queue (6); 7 has no retry")
        await successor.close()
    }
}
