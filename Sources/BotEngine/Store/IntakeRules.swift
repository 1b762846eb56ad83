import BotmasterIPC

/// The intake's decisions for the stores that run them in the worker (SQLite, memory), the same
/// rules the Redis store's Lua scripts apply (``RedisScripts``): pure functions of the values
/// read, so each store only reads, asks, and writes what it is told.
enum IntakeRules {
    /// What an appended message does to its chat's batch.
    enum BatchStep: Equatable {
        /// Batching is off and nothing is open: the message is a job of its own.
        case alone
        /// Append, then take the whole batch into a job (it is full, or has no quiet window).
        case appendAndTake
        /// Append; the batch is due at `dueMs` (wall-clock milliseconds).
        case append(dueMs: Int64)
    }

    /// - Parameters:
    ///   - openCount: messages already in the chat's open batch.
    ///   - firstMs: when the open batch's first message came, if one is open.
    static func batchStep(openCount: Int, firstMs: Int64?, nowMs: Int64, settings: BotSettings.Batch) -> BatchStep {
        let batchingOff = settings.quietMs == 0 || settings.maxMessages <= 1
        if batchingOff && openCount == 0 { return .alone }
        if settings.quietMs == 0 || openCount + 1 >= settings.maxMessages { return .appendAndTake }
        let first = firstMs ?? nowMs
        return .append(dueMs: min(nowMs + Int64(settings.quietMs), first + Int64(settings.maxWaitMs)))
    }

    /// The dedup marks an item checks and, once taken, sets: its update id and its chat +
    /// message id (`u:<update>`, `m:<chat>:<message>`); none for a job not born of an update or
    /// with dedup off.
    static func dedupMarks(of item: IntakeItem) -> [String] {
        guard let update = item.updateID, item.dedupWindowMs > 0 else { return [] }
        return ["u:\(update)"] + (item.messageID.map { ["m:\(item.chatID):\($0)"] } ?? [])
    }

    /// The stored offset after an item: one past a polled update, but in a poll's group only
    /// past an unbroken run of kept updates (the item before it, `after`, must be in).
    static func offset(after item: IntakeItem, stored: Int64?) -> Int64? {
        guard item.polled, let update = item.updateID else { return stored }
        let next = update + 1
        let current = stored ?? 0
        guard next > current else { return stored }
        if let after = item.after, current <= after { return stored }
        return next
    }

    /// The batch job a chat's messages become.
    static func batchJob(chat: Int64, messages: [JobMessage]) -> BotJob {
        BotJob(chatID: chat, kind: .batch, messages: messages)
    }
}
