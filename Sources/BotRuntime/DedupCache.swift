import BotmasterSystem
import DequeModule

/// Drops updates seen within a sliding window, by `update_id` and by chat id + message id
/// (Telegram redelivers the same update after a 5xx, and an edited resend carries a new
/// update id but the same message). Memory is bounded: at most `maxEntries` keys, the oldest
/// evicted first, and expiry is amortized — each key is removed once, in arrival order.
public struct DedupCache: Sendable {
    /// How long an update counts as seen.
    public var window: Duration
    /// Most keys remembered; past it the oldest are forgotten early.
    public var maxEntries: Int

    private enum Key: Hashable {
        case update(Int64)
        case message(chat: Int64, message: Int64)
    }

    private var seen: [Key: MonotonicTime] = [:]
    private var arrivals: Deque<(key: Key, at: MonotonicTime)> = []

    /// Updates dropped as duplicates so far.
    public private(set) var duplicates: UInt64 = 0

    public init(window: Duration = .seconds(30), maxEntries: Int = 10_000) {
        self.window = window
        self.maxEntries = max(maxEntries, 1)
    }

    /// Keys remembered now.
    public var count: Int { seen.count }

    /// Whether the update was seen within the window; if not, remembers it.
    /// - Parameters:
    ///   - updateID: the update's `update_id`.
    ///   - chatID, messageID: the message's chat and id, when the update carries a message.
    public mutating func isDuplicate(updateID: Int64, chatID: Int64?, messageID: Int64?, now: MonotonicTime) -> Bool {
        expire(now: now)
        let messageKey = chatID.flatMap { chat in messageID.map { Key.message(chat: chat, message: $0) } }
        if seen[.update(updateID)] != nil || messageKey.map({ seen[$0] != nil }) == true {
            duplicates += 1
            return true
        }
        remember(.update(updateID), now: now)
        if let messageKey { remember(messageKey, now: now) }
        return false
    }

    private mutating func remember(_ key: Key, now: MonotonicTime) {
        seen[key] = now
        arrivals.append((key, now))
        while seen.count > maxEntries, let oldest = arrivals.popFirst() {
            if seen[oldest.key] == oldest.at { seen[oldest.key] = nil }
        }
    }

    private mutating func expire(now: MonotonicTime) {
        while let oldest = arrivals.first, now - oldest.at >= window {
            arrivals.removeFirst()
            if seen[oldest.key] == oldest.at { seen[oldest.key] = nil }
        }
    }
}
