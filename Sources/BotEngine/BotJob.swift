import BotAPI
import BotRuntime

/// One unit of work in a chat's queue. Jobs of one chat run in order; the update ids are
/// finished (and may be confirmed to the Bot API) only when the job is over.
struct BotJob: Sendable {
    enum Kind: Sendable {
        /// A rapid-fire batch for the handler.
        case batch(MessageBatch)
        /// A user message in handoff, forwarded to the operator chat.
        case forward(messageID: Int64)
        /// An operator's reply, copied to the user's chat.
        case operatorReply(operatorChatID: Int64, messageID: Int64)
        /// The chat was handed to an operator (`/operator` or a handler's `handoff: true`).
        case handoffStarted
        /// The chat is back with the bot.
        case handoffEnded
    }

    /// The user chat whose queue the job is in.
    var chatID: Int64
    var kind: Kind
    var updateIDs: [Int64]
    /// Failed attempts so far.
    var failures = 0
    /// The handler's reply once it has one, so that a retry after a failed send does not run
    /// the handler again.
    var reply: HandlerReply?
    /// Whether this job's reply was already sent: a retry never sends twice.
    var replySent = false

    /// Stable key of the job for the dead-letter list and idempotency: bot, chat, first and
    /// last update id.
    var key: String {
        "\(chatID):\(updateIDs.first ?? 0)-\(updateIDs.last ?? 0)"
    }

    var kindName: String {
        switch kind {
        case .batch: "batch"
        case .forward: "forward"
        case .operatorReply: "operator_reply"
        case .handoffStarted: "handoff_started"
        case .handoffEnded: "handoff_ended"
        }
    }
}

/// A job that failed `max_attempts` times, kept for inspection and replay.
public struct DeadLetter: Sendable, Equatable {
    public var key: String
    public var chatID: Int64
    public var kind: String
    public var updateIDs: [Int64]
    public var attempts: Int
    public var lastError: String
    public var atMs: Int64
}
