import BotmasterIPC

/// A broadcast as a store keeps it: its report, and where its sending stands.
package struct StoredBroadcast: Sendable, Equatable {
    package var info: BroadcastInfo
    /// Every audience position below this one has an outcome: a new process resumes here,
    /// skipping the positions above it that have one too.
    package var cursor: Int

    package init(info: BroadcastInfo, cursor: Int) {
        self.info = info
        self.cursor = cursor
    }
}

/// Who a new broadcast goes to.
package enum BroadcastAudience: Sendable, Equatable {
    /// These chats, in this order (duplicates are sent once, at their first place).
    case chats([Int64])
    /// Every chat the bot has taken an update from, less those that blocked it, by chat id.
    case known
}

/// One audience chat for the sender, and whether it already has an outcome.
package struct BroadcastTarget: Sendable, Equatable {
    package var position: Int
    package var chat: Int64
    package var done: Bool

    package init(position: Int, chat: Int64, done: Bool) {
        self.position = position
        self.chat = chat
        self.done = done
    }
}

/// What became of one chat, as the sender records it.
package struct BroadcastOutcome: Sendable, Equatable {
    package var position: Int
    package var chat: Int64
    package var kind: BroadcastOutcomeKind
    /// The Bot API's description, for anything but `sent`.
    package var reason: String?

    package init(position: Int, chat: Int64, kind: BroadcastOutcomeKind, reason: String? = nil) {
        self.position = position
        self.chat = chat
        self.kind = kind
        self.reason = reason
    }
}

/// The broadcast-keeping rules every store shares.
enum BroadcastRules {
    /// The audience of a `chats` list: each chat once, at its first place.
    static func distinct(_ chats: [Int64]) -> [Int64] {
        var seen = Set<Int64>(minimumCapacity: chats.count)
        return chats.filter { seen.insert($0).inserted }
    }

    /// A broadcast's stored document: the report without counts, state, times or failures
    /// (each kept on its own so a step changes only its own field).
    static func document(_ info: BroadcastInfo) -> [UInt8] {
        var bare = info
        bare.counts = BroadcastCounts()
        bare.failures = nil
        bare.startedMs = nil
        bare.finishedMs = nil
        return BotJob.encode(bare)
    }
}
