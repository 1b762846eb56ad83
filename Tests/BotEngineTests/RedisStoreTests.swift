import BotRedis
import BotmasterIPC
import RedisServerFixture
import Synchronization
import Testing

@testable import BotEngine

/// What only the Redis store has (its Lua scripts, key layout and several processes on one
/// server) against a real redis-server; the store contract itself is `StoreConformanceTests`.
@Suite(.serialized)
final class RedisStoreTests {
    let server: RedisServerProcess
    private var opened: [RedisStore] = []

    init() throws {
        server = try RedisServerProcess()
    }

    deinit {
        // Clients first (their threads), then the server.
        for store in opened { store.syncShutdown() }
        server.tearDown()
    }

    private func state(_ bot: String = "bot", fleet: String = "tests") -> RedisStore {
        let store = RedisStore(url: server.url, fleet: fleet, bot: bot)
        opened.append(store)
        return store
    }

    private func message(_ update: Int64, _ text: String) -> JobMessage { StoreSamples.message(update, text) }

    private static let slowBatch = StoreSamples.slowBatch

    /// A poll's updates go in one pipeline; one that cannot be kept stops the stored offset
    /// there and leaves no dedup mark, so reading the poll again takes it (and drops the rest).
    @Test func aPollsPipelineNeverMovesTheOffsetPastAnUpdateItCouldNotKeep() async throws {
        let store = state()
        _ = try await store.open()
        // Someone else's key of the wrong type where chat 2's batch goes: its intake fails.
        _ = try await store.client.command("SET", store.keys.prefix + "batch:2", "not a list")
        func poll() -> [IntakeItem] {
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
        #expect(try await store.open().offset == 2, "not past update 2")
        _ = try await store.client.command("DEL", store.keys.prefix + "batch:2")
        let again = try await store.intake(poll()).map { try $0.get() }
        #expect(again[0] == .duplicate)
        #expect(again[1] != .duplicate, "update 2 left no dedup mark when it failed")
        #expect(again[2] == .duplicate)
        #expect(try await store.open().offset == 4)
    }

    @Test func anOpenBatchsExpiryIsRefreshedOnEveryAppend() async throws {
        let store = state()
        _ = try await store.open()
        for (index, text) in ["one", "two", "three"].enumerated() {
            _ = try await store.intake(
                updateID: Int64(index + 1), chatID: 42, messageID: Int64(index + 1), dedupWindowMs: 0,
                action: .batch(message(Int64(index + 1), text), Self.slowBatch))
        }
        let ttl = try await store.client.command("PTTL", store.keys.prefix + "batch:42").integer ?? 0
        #expect(ttl > Int64(RedisKeys.batchTTLMilliseconds) - 60_000)
    }

    /// Seed 002: two processes flushing the same batch keys at the same moment. Each batch must
    /// become exactly one job holding every message.
    @Test func twoWorkersRacingOnTheSameBatchesNeverBothFlushOne() async throws {
        let left = state()
        let right = state()
        _ = try await left.open()
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
            let taken = try await left.take(count: 100, wait: .milliseconds(50))
            if taken.isEmpty { break }
            jobs += taken
        }
        #expect(jobs.count == chats.count)
        #expect(Set(jobs.map(\.chatID)) == Set(chats))
        #expect(jobs.allSatisfy { $0.mergedText == "x\ny\nz" })
    }

    @Test func aRetriedOrDeadLetteredJobLeavesTheStream() async throws {
        let store = state()
        _ = try await store.open()
        let queue = RedisJobQueue(client: store.client, key: store.keys.jobs, group: RedisKeys.group)
        for update in Int64(1)...2 {
            _ = try await store.intake(
                updateID: update, chatID: update, messageID: update, dedupWindowMs: 0,
                action: .batch(message(update, "hi"), StoreSamples.noBatch))
        }
        let jobs = try await store.take(count: 10, wait: .milliseconds(100))
        #expect(try await queue.pendingCount() == 2)
        try await store.scheduleRetry(jobs[0], delay: .seconds(60))
        let entry = DeadLetterEntry(
            key: jobs[1].key, chat: 2, kind: "batch", updateIDs: [2], attempts: 3, lastError: "x", atMs: 1, texts: [])
        try await store.deadLetter(jobs[1], entry: entry)
        #expect(try await queue.pendingCount() == 0)
    }

    /// Cluster mode: once another master took the bot (a new epoch), every step of the old
    /// worker is refused, changes nothing, and calls the refusal hook that stops the worker;
    /// the new owner's steps go through.
    @Test func aWorkerWithAStaleEpochChangesNothing() async throws {
        let keys = RedisKeys(fleet: "tests", bot: "fenced")
        let admin = state("admin")
        _ = try await admin.client.command("SET", keys.epoch, "7")
        let refusals = Mutex(0)
        let old = RedisStore(url: server.url, fleet: "tests", bot: "fenced", epoch: 7) { _ in refusals.withLock { $0 += 1 } }
        opened.append(old)
        _ = try await old.open()
        #expect(
            try await old.intake(
                updateID: 1, chatID: 1, messageID: 1, dedupWindowMs: 30_000, action: .batch(message(1, "a"), StoreSamples.noBatch))
                == .queued)
        let taken = try await old.take(count: 10, wait: .milliseconds(100))
        #expect(taken.count == 1)
        // A webhook delivery another master relayed, read by this worker.
        _ = try await admin.client.command("XADD", keys.relayed, "*", "update", #"{"update_id": 3}"#)
        let relayed = try await old.relayedDeliveries(count: 10, wait: .milliseconds(100))
        #expect(relayed.map { String(decoding: $0.body, as: UTF8.self) } == [#"{"update_id": 3}"#])
        // Another master takes the bot.
        _ = try await admin.client.command("INCR", keys.epoch)
        let before = try await admin.client.command("DUMP", keys.offset)
        func refused(_ step: () async throws -> Void) async {
            do {
                try await step()
                Issue.record("a stale epoch's step went through")
            } catch {
                #expect((error as? StoreError)?.kind == .fenced, "\(error)")
            }
        }
        await refused {
            _ = try await old.intake(
                updateID: 2, chatID: 1, messageID: 2, dedupWindowMs: 30_000, action: .batch(message(2, "b"), StoreSamples.noBatch))
        }
        await refused { _ = try await old.take(count: 10, wait: .milliseconds(100)) }
        await refused { try await old.finish(taken[0]) }
        await refused { try await old.scheduleRetry(taken[0], delay: .seconds(1)) }
        await refused { try await old.rememberThread(operatorMessageID: 5, userChat: 1) }
        await refused { _ = try await old.purgeDeadLetters() }
        await refused { try await old.removeRelayed(relayed.map(\.entryID)) }
        await refused { _ = try await old.createBroadcast(BroadcastStoreConformanceTests.draft(), audience: .chats([1, 2, 3])) }
        #expect(refusals.withLock { $0 } == 8)
        #expect(try await old.broadcasts().isEmpty, "no broadcast published")
        let leftovers = try await admin.client.command("KEYS", keys.prefix + "broadcast:*:chats").array ?? []
        #expect(leftovers.isEmpty, "the refused broadcast's audience is gone too")
        #expect(try await admin.client.command("XLEN", keys.relayed).integer == 1, "the relayed delivery waits for the new owner")
        #expect(try await admin.client.command("DUMP", keys.offset) == before, "the offset did not move")
        #expect(try await admin.client.command("EXISTS", keys.prefix + "seen:u:2").integer == 0, "no dedup mark")
        #expect(try await admin.client.command("XLEN", keys.jobs).integer == 1, "the job is still there")

        // The new owner finds the job its predecessor took and never finished, and finishes it.
        let new = RedisStore(url: server.url, fleet: "tests", bot: "fenced", epoch: 8)
        opened.append(new)
        _ = try await new.open()
        let unfinished = try await new.takeUnfinished(after: "", count: 10)
        #expect(unfinished.map(\.key) == taken.map(\.key))
        try await new.finish(unfinished[0])
        #expect(try await admin.client.command("XLEN", keys.jobs).integer == 0)
        let waiting = try await new.relayedDeliveries(count: 10, wait: .milliseconds(100))
        try await new.removeRelayed(waiting.map(\.entryID))
        #expect(try await admin.client.command("XLEN", keys.relayed).integer == 0)
    }

    @Test func keysOfTwoFleetsNeverMeet() async throws {
        let one = state("same", fleet: "alpha")
        let two = state("same", fleet: "beta")
        _ = try await one.open()
        _ = try await two.open()
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
