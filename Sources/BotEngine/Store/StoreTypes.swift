import BotmasterIPC

/// What a worker needs to know when it starts on a bot's state.
package struct StoreSnapshot: Sendable {
    package var handoffChats: Set<Int64>
    /// The stored `getUpdates` offset: one past the highest update kept.
    package var offset: Int64?
    /// Open batches and how long until each is due.
    package var openBatches: [(chat: Int64, dueIn: Duration)]
    /// When the next retry is due, if any waits.
    package var nextRetry: Duration?
    /// Chats with a job that failed and waits for (or is back from) its retry: their other
    /// jobs must wait for it, also in a new process, or the chat's replies go out of order.
    package var chatsAwaitingRetry: Set<Int64> = []

    package init(
        handoffChats: Set<Int64> = [], offset: Int64? = nil, openBatches: [(chat: Int64, dueIn: Duration)] = [],
        nextRetry: Duration? = nil
    ) {
        self.handoffChats = handoffChats
        self.offset = offset
        self.openBatches = openBatches
        self.nextRetry = nextRetry
    }
}

/// One update (or a job not born of one) for ``BotStore/intake(_:)``.
package struct IntakeItem: Sendable {
    /// `nil` for a job not born of an update (a handler's handoff).
    package var updateID: Int64?
    package var chatID: Int64
    package var messageID: Int64?
    /// How long the update's dedup marks are kept; 0 checks and marks nothing.
    package var dedupWindowMs: Int
    package var action: IntakeAction
    /// In a poll's group, the update before this one: the stored offset passes this one only
    /// if that one is in.
    package var after: Int64?
    /// Whether the update came from `getUpdates` (a webhook delivery moves no offset).
    package var polled: Bool

    package init(
        updateID: Int64?, chatID: Int64, messageID: Int64?, dedupWindowMs: Int, action: IntakeAction, after: Int64? = nil,
        polled: Bool = true
    ) {
        self.updateID = updateID
        self.chatID = chatID
        self.messageID = messageID
        self.dedupWindowMs = dedupWindowMs
        self.action = action
        self.after = after
        self.polled = polled
    }
}

/// What the intake does after dedup.
package enum IntakeAction: Sendable {
    /// Nothing (an update that only moves the offset, or operators talking among themselves).
    case none
    /// A job for the queue, with the handoff change it makes.
    case job(BotJob, handoff: HandoffChange?)
    /// A message for the chat's open rapid-fire batch, with the batch settings in force.
    case batch(JobMessage, BotSettings.Batch)
}

/// A chat handed to an operator, or back to the bot.
package enum HandoffChange: String, Sendable {
    case start, end
}

/// What became of one intake item.
package enum IntakeOutcome: Equatable, Sendable {
    case duplicate
    /// In the chat's open batch, due in the given time.
    case batched(dueIn: Duration)
    /// In the job queue (a job, or a batch that filled up or had no quiet window).
    case queued
    /// Kept, with nothing to do (`IntakeAction.none`).
    case noted
}

/// What a due-batch check found.
package enum FlushOutcome: Equatable, Sendable {
    /// Not due yet (a later message moved its deadline).
    case later(Duration)
    case flushed
    /// No open batch (another process took it, or it never existed).
    case gone
}

/// A dead letter as a store keeps it: what `dlq` shows, the job to run again, and the store's
/// own handle for it.
package struct StoredDeadLetter: Sendable {
    /// Which letter this is, in the store's terms (what a requeue removes).
    package var handle: [UInt8]
    package var entry: DeadLetterEntry
    package var job: BotJob
}

/// A dead letter's document: the entry and its job, as JSON.
struct DeadLetterDocument: Codable {
    var entry: DeadLetterEntry
    var job: BotJob
}

/// Why a store call failed, in words an operator can act on (never a password, a token or a
/// message's text).
package struct StoreError: Error, Sendable, CustomStringConvertible {
    package enum Kind: Sendable, Equatable {
        /// The server is away or the connection broke: try again.
        case unavailable
        /// Another process (a predecessor still running) holds the bot's state.
        case locked
        /// The state cannot be read: a damaged or foreign file, a failed migration.
        case corrupt
        /// The state cannot be written: a read-only file or directory.
        case readOnly
        /// The disk is full.
        case full
        /// Cluster mode: another master owns the bot now (a newer fencing epoch); nothing was
        /// changed and the worker must stop.
        case fenced
        /// Anything else.
        case failed
    }

    package var kind: Kind
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { message }
}
