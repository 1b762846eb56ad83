import BotmasterIPC
import Testing

@testable import BotEngine

/// The broadcast part of the ``BotStore`` contract, against every store (Redis on a real
/// `redis-server`); what a successor process sees runs against SQLite and Redis.
@Suite(.serialized) struct BroadcastStoreConformanceTests {
    typealias Samples = StoreSamples

    static func draft(rate: Double = 25) -> BroadcastInfo {
        BroadcastInfo(
            id: "", state: .queued, message: BroadcastMessage(text: "news"), audience: "list", total: 0, ratePerSecond: rate,
            createdMs: 1_700_000_000_000)
    }

    @Test(arguments: StoreConformanceTests.all) func anAudienceIsKeptInOrderOnceEach(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let made = try await store.createBroadcast(Self.draft(), audience: .chats([30, 10, 20, 10, -5]))
        #expect(made.total == 4)
        #expect(made.state == .queued)
        let second = try await store.createBroadcast(Self.draft(), audience: .chats([1]))
        #expect(second.id != made.id)
        let targets = try await store.broadcastTargets(made.id, from: 0, count: 10)
        #expect(targets.map(\.chat) == [30, 10, 20, -5])
        #expect(targets.map(\.position) == [0, 1, 2, 3])
        #expect(try await store.broadcastTargets(made.id, from: 2, count: 1).map(\.chat) == [20])
        #expect(try await store.broadcasts().map(\.info.id) == [made.id, second.id])
        await store.close()
    }

    @Test(arguments: StoreConformanceTests.all) func anOutcomeCountsOnceAndMovesTheCursor(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let made = try await store.createBroadcast(Self.draft(), audience: .chats([1, 2, 3, 4]))
        #expect(try await store.setBroadcastState(made.id, to: .running, atMs: 5))
        try await store.recordBroadcastOutcome(made.id, BroadcastOutcome(position: 0, chat: 1, kind: .sent), cursor: 0)
        try await store.recordBroadcastOutcome(
            made.id, BroadcastOutcome(position: 2, chat: 3, kind: .blocked, reason: "Forbidden"), cursor: 1)
        // The same position again (a resumed process) changes nothing.
        try await store.recordBroadcastOutcome(made.id, BroadcastOutcome(position: 0, chat: 1, kind: .sent), cursor: 1)
        try await store.recordBroadcastOutcome(
            made.id, BroadcastOutcome(position: 1, chat: 2, kind: .invalid, reason: "400: chat not found"), cursor: 1)
        let stored = try #require(try await store.broadcasts().first)
        #expect(stored.info.counts == BroadcastCounts(sent: 1, blocked: 1, invalid: 1, failed: 0))
        #expect(stored.cursor == 1)
        #expect(stored.info.state == .running)
        #expect(stored.info.startedMs == 5)
        #expect(stored.info.message.text == "news")
        #expect(try await store.broadcastTargets(made.id, from: 0, count: 4).map(\.done) == [true, true, true, false])
        #expect(
            try await store.broadcastFailures(made.id, limit: 10) == [
                BroadcastFailure(chat: 2, outcome: .invalid, reason: "400: chat not found"),
                BroadcastFailure(chat: 3, outcome: .blocked, reason: "Forbidden"),
            ])
        #expect(try await store.setBroadcastState(made.id, to: .done, atMs: 9))
        #expect(try await store.broadcasts().first?.info.finishedMs == 9)
        #expect(try await !store.setBroadcastState("404", to: .paused, atMs: 9))
        await store.close()
    }

    @Test(arguments: StoreConformanceTests.all) func theKnownChatsAreEveryChatThatWroteLessTheBlockedOnes(_ kind: BotSettings.Store)
        async throws
    {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        for (update, chat) in [(Int64(1), Int64(300)), (2, 100), (3, 200), (4, 100)] {
            _ = try await store.intake(
                updateID: update, chatID: chat, messageID: update, dedupWindowMs: 30_000,
                action: .batch(Samples.message(update, "hi"), Samples.slowBatch))
        }
        let first = try await store.createBroadcast(Self.draft(), audience: .known)
        #expect(try await store.broadcastTargets(first.id, from: 0, count: 10).map(\.chat) == [100, 200, 300])
        try await store.recordBroadcastOutcome(
            first.id, BroadcastOutcome(position: 1, chat: 200, kind: .blocked, reason: "Forbidden"), cursor: 0)
        let second = try await store.createBroadcast(Self.draft(), audience: .known)
        #expect(try await store.broadcastTargets(second.id, from: 0, count: 10).map(\.chat) == [100, 300])
        // The user who blocked the bot writes again: known again.
        _ = try await store.intake(
            updateID: 5, chatID: 200, messageID: 5, dedupWindowMs: 30_000, action: .batch(Samples.message(5, "back"), Samples.slowBatch))
        let third = try await store.createBroadcast(Self.draft(), audience: .known)
        #expect(try await store.broadcastTargets(third.id, from: 0, count: 10).map(\.chat) == [100, 200, 300])
        await store.close()
    }

    @Test(arguments: StoreConformanceTests.durable) func aSuccessorResumesAtTheCursorWithTheDoneMarks(_ kind: BotSettings.Store)
        async throws
    {
        let fixture = try StoreFixture(kind)
        let first = fixture.store()
        _ = try await first.open()
        let made = try await first.createBroadcast(Self.draft(rate: 500), audience: .chats(Array(1...1200)))
        #expect(made.total == 1200)
        _ = try await first.setBroadcastState(made.id, to: .running, atMs: 1)
        for position in [0, 1, 2, 4] {
            try await first.recordBroadcastOutcome(
                made.id, BroadcastOutcome(position: position, chat: Int64(position + 1), kind: .sent), cursor: 3)
        }
        await first.close()
        let successor = fixture.store()
        _ = try await successor.open()
        let stored = try #require(try await successor.broadcasts().first { $0.info.id == made.id })
        #expect(stored.cursor == 3)
        #expect(stored.info.ratePerSecond == 500)
        #expect(stored.info.remaining == 1196)
        let page = try await successor.broadcastTargets(made.id, from: stored.cursor, count: 3)
        #expect(page.map(\.done) == [false, true, false])
        #expect(try await successor.broadcastTargets(made.id, from: 1190, count: 100).count == 10)
        await successor.close()
    }

    @Test(arguments: StoreConformanceTests.all) func onlyTheLastHundredFinishedBroadcastsAreKept(_ kind: BotSettings.Store) async throws {
        let fixture = try StoreFixture(kind)
        let store = fixture.store()
        _ = try await store.open()
        let running = try await store.createBroadcast(Self.draft(), audience: .chats([1]))
        _ = try await store.setBroadcastState(running.id, to: .running, atMs: 1)
        for _ in 0..<StoreLimits.keptBroadcasts + 5 {
            let made = try await store.createBroadcast(Self.draft(), audience: .chats([1, 2]))
            _ = try await store.setBroadcastState(made.id, to: .done, atMs: 2)
        }
        let kept = try await store.broadcasts()
        #expect(kept.count <= StoreLimits.keptBroadcasts + 1)
        #expect(kept.first?.info.id == running.id, "an unfinished broadcast is never forgotten")
        await store.close()
    }
}

@Suite struct BroadcastWindowTests {
    @Test func theCursorStaysBelowEveryPositionStillInFlight() {
        var window = BroadcastWindow(cursor: 10, limit: 3)
        #expect(window.cursor == 10)
        window.dispatch(10)
        window.skip(11)
        window.dispatch(12)
        window.dispatch(13)
        #expect(!window.hasRoom)
        #expect(window.cursor == 10)
        window.finish(12)
        #expect(window.cursor == 10, "10 is still on its way")
        window.finish(10)
        #expect(window.cursor == 13)
        window.finish(13)
        #expect(window.cursor == 14)
        #expect(window.next == 14)
    }

    @Test func theWindowGrowsWithTheRate() {
        #expect(BroadcastWindow.limit(forRate: 25) == 2)
        #expect(BroadcastWindow.limit(forRate: 1) == 1)
        #expect(BroadcastWindow.limit(forRate: 1000) == 63)
        #expect(BroadcastWindow.limit(forRate: 5000) == 64)
    }
}
