import BotRuntime
import BotmasterSystem

/// Updates per second through dedup + the rapid-fire batcher, in process: the per-update cost
/// of the worker's pipeline before any I/O. 1000 chats, bursts of 4, every 8th update a
/// redelivery, a simulated clock moving 10 µs per update so batches close as they would live.
enum PipelineBenchmark {
    static func run(updates: Int) -> (perSecond: Double, batches: Int, duplicates: UInt64) {
        var dedup = DedupCache(window: .seconds(30), maxEntries: 10_000)
        var batcher = RapidFireBatcher(quiet: .milliseconds(50), maxMessages: 10, maxWait: .seconds(1))
        var now = MonotonicTime(nanoseconds: 1_000_000_000_000)
        var batches = 0
        let started = MonotonicTime.now()
        for index in 0..<updates {
            now = now + .microseconds(10)
            let redelivered = index % 8 == 7
            let id = Int64(redelivered ? index - 1 : index)
            let chat = (id / 4) % 1000
            if dedup.isDuplicate(updateID: id, chatID: chat, messageID: id, now: now) { continue }
            if batcher.add(IncomingMessage(updateID: id, chatID: chat, messageID: id, text: "hi"), now: now) != nil { batches += 1 }
            if index % 64 == 0 { batches += batcher.due(now: now).count }
        }
        batches += batcher.flushAll().count
        let seconds = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9
        return (Double(updates) / seconds, batches, dedup.duplicates)
    }
}
