import BotmasterSystem
import Testing

@testable import BotRuntime

@Suite struct DedupCacheTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)

    @Test func sameUpdateOrSameMessageWithinTheWindowIsADuplicate() {
        var cache = DedupCache(window: .seconds(30), maxEntries: 100)
        let result1 = cache.isDuplicate(updateID: 1, chatID: 10, messageID: 100, now: start)
        #expect(!result1)
        let result2 = cache.isDuplicate(updateID: 1, chatID: 10, messageID: 100, now: start + .seconds(1))
        #expect(result2, "redelivered update")
        let result3 = cache.isDuplicate(updateID: 2, chatID: 10, messageID: 100, now: start + .seconds(2))
        #expect(result3, "same message, new update id")
        let result4 = cache.isDuplicate(updateID: 3, chatID: 11, messageID: 100, now: start + .seconds(2))
        #expect(!result4, "same message id in another chat")
        let result5 = cache.isDuplicate(updateID: 4, chatID: nil, messageID: nil, now: start + .seconds(3))
        #expect(!result5)
        #expect(cache.duplicates == 2)
    }

    @Test func entriesExpireAfterTheWindow() {
        var cache = DedupCache(window: .seconds(30), maxEntries: 100)
        let result6 = cache.isDuplicate(updateID: 1, chatID: 10, messageID: 100, now: start)
        #expect(!result6)
        let result7 = cache.isDuplicate(updateID: 1, chatID: nil, messageID: nil, now: start + .seconds(29))
        #expect(result7)
        let result8 = cache.isDuplicate(updateID: 1, chatID: nil, messageID: nil, now: start + .seconds(30))
        #expect(!result8)
    }

    @Test func memoryIsBoundedByMaxEntries() {
        var cache = DedupCache(window: .seconds(3600), maxEntries: 1000)
        for id in 0..<100_000 { _ = cache.isDuplicate(updateID: Int64(id), chatID: nil, messageID: nil, now: start) }
        #expect(cache.count == 1000)
        let result9 = cache.isDuplicate(updateID: 99_999, chatID: nil, messageID: nil, now: start)
        #expect(result9, "the newest are kept")
        let result10 = cache.isDuplicate(updateID: 0, chatID: nil, messageID: nil, now: start)
        #expect(!result10, "the oldest were evicted")
    }
}

@Suite struct RapidFireBatcherTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)

    func message(_ update: Int64, chat: Int64 = 1, _ text: String) -> IncomingMessage {
        IncomingMessage(updateID: update, chatID: chat, messageID: update, text: text)
    }

    @Test func burstBecomesOneBatchAfterTheQuietWindowInOrder() {
        var batcher = RapidFireBatcher(quiet: .seconds(5), maxMessages: 10, maxWait: .seconds(15))
        for (index, text) in ["a", "b", "c", "d"].enumerated() {
            let result11 = batcher.add(message(Int64(index), text), now: start + .milliseconds(100 * index))
            #expect(result11 == nil)
        }
        let result12 = batcher.nextDeadline()
        #expect(result12 == start + .milliseconds(300) + .seconds(5))
        let result13 = batcher.due(now: start + .seconds(5))
        #expect(result13 == [], "the quiet window restarts with each message")
        let batches = batcher.due(now: start + .milliseconds(5300))
        #expect(batches.count == 1)
        #expect(batches.first?.mergedText == "a\nb\nc\nd")
        #expect(batches.first?.updateIDs == [0, 1, 2, 3])
        #expect(batches.first?.reason == .quiet)
        #expect(batcher.openChats == 0)
    }

    @Test func messagesFurtherApartThanTheQuietWindowAreSeparateBatches() {
        var batcher = RapidFireBatcher(quiet: .seconds(1), maxMessages: 10, maxWait: .seconds(15))
        var texts: [String] = []
        for index in 0..<3 {
            let at = start + .seconds(6 * index)
            texts += batcher.due(now: at).map(\.mergedText)
            _ = batcher.add(message(Int64(index), "m\(index)"), now: at)
        }
        texts += batcher.due(now: start + .seconds(20)).map(\.mergedText)
        #expect(texts == ["m0", "m1", "m2"])
    }

    @Test func twelveInABurstWithMaxTenAreTwoJobs() {
        var batcher = RapidFireBatcher(quiet: .seconds(5), maxMessages: 10, maxWait: .seconds(15))
        var batches: [MessageBatch] = []
        for index in 0..<12 {
            if let full = batcher.add(message(Int64(index), "\(index)"), now: start + .milliseconds(10 * index)) { batches.append(full) }
        }
        batches += batcher.due(now: start + .seconds(10))
        #expect(batches.map(\.messages.count) == [10, 2])
        #expect(batches.map(\.reason) == [.full, .quiet])
    }

    @Test func aUserWhoNeverStopsTypingIsAnsweredAtMaxWait() {
        var batcher = RapidFireBatcher(quiet: .seconds(5), maxMessages: 100, maxWait: .seconds(15))
        var flushed: [MessageBatch] = []
        for second in 0...20 {
            flushed += batcher.due(now: start + .seconds(second))
            _ = batcher.add(message(Int64(second), "\(second)"), now: start + .seconds(second))
        }
        #expect(flushed.first?.reason == .maxWait)
        #expect(flushed.first?.messages.count == 15, "messages of seconds 0 to 14")
    }

    @Test func chatsAreIndependentAndDrainTakesEverything() {
        var batcher = RapidFireBatcher(quiet: .seconds(5), maxMessages: 10, maxWait: .seconds(15))
        _ = batcher.add(message(1, chat: 1, "x"), now: start)
        _ = batcher.add(message(2, chat: 2, "y"), now: start + .seconds(3))
        let result14 = batcher.due(now: start + .seconds(5))
        #expect(result14.map(\.chatID) == [1])
        let drained = batcher.flushAll()
        #expect(drained.map(\.chatID) == [2])
        #expect(drained.first?.reason == .drain)
        let result15 = batcher.nextDeadline()
        #expect(result15 == nil)
    }

    @Test func zeroQuietDisablesBatching() {
        var batcher = RapidFireBatcher(quiet: .zero, maxMessages: 10, maxWait: .seconds(15))
        let result16 = batcher.add(message(1, "now"), now: start)
        #expect(result16?.mergedText == "now")
    }
}
