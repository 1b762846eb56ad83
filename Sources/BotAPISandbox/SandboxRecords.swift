import BotAPI
import NIOCore

/// What a bot did through the sandbox's Bot API, for tests and for people trying a fleet.
public struct SentRecord: Codable, Sendable, Equatable {
    /// Order of the call among this bot's sends, from 1.
    public var sequence: Int
    /// `sendMessage`, `forwardMessage` or `copyMessage`.
    public var method: String
    public var chatID: Int64
    public var messageID: Int64
    public var text: String?
    public var fromChatID: Int64?
    public var replyToMessageID: Int64?
    /// When the sandbox answered the call (the message was made): milliseconds since the
    /// Unix epoch.
    public var atMs: Int64
    /// The same in microseconds, for latency measurements.
    public var atUs: Int64
    /// When the call's request arrived, in microseconds: from then until ``atUs`` (and until
    /// the answer reached the bot) the call was in flight, the window in which a killed bot
    /// cannot know whether its message went out.
    public var arrivedUs: Int64?

    enum CodingKeys: String, CodingKey {
        case sequence, method, text
        case chatID = "chat_id", messageID = "message_id", fromChatID = "from_chat_id"
        case replyToMessageID = "reply_to_message_id", atMs = "at_ms", atUs = "at_us", arrivedUs = "arrived_us"
    }
}

/// A failure or delay the sandbox injects into its next Bot API answers.
public struct SandboxFault: Codable, Sendable, Equatable {
    /// Only calls of this method; `nil` for any method except `getUpdates`.
    public var method: String?
    /// The HTTP status and `error_code` to answer with (429, 500, 502, …); `nil` for a delay only.
    public var status: Int?
    /// For 429: `parameters.retry_after` in seconds.
    public var retryAfter: Int?
    /// Delay before answering, in milliseconds.
    public var latencyMs: Int?
    /// How many calls it applies to.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case method, status, count
        case retryAfter = "retry_after", latencyMs = "latency_ms"
    }
}

/// A user message to inject (`POST /sandbox/bots/<bot id>/messages`).
public struct InjectedMessage: Codable, Sendable {
    public var chatID: Int64
    public var text: String
    /// Defaults to the chat id (a private chat).
    public var userID: Int64?
    public var firstName: String?
    public var replyToMessageID: Int64?

    enum CodingKeys: String, CodingKey {
        case text
        case chatID = "chat_id", userID = "user_id", firstName = "first_name", replyToMessageID = "reply_to_message_id"
    }
}

/// Per-bot counters (`GET /sandbox/bots/<bot id>`).
public struct SandboxBotSummary: Codable, Sendable, Equatable {
    public var botID: Int64
    public var pendingUpdates: Int
    public var sentTotal: Int
    public var webhookURL: String?
    /// Calls per Bot API method.
    public var calls: [String: Int]

    enum CodingKeys: String, CodingKey {
        case calls
        case botID = "bot_id", pendingUpdates = "pending_updates", sentTotal = "sent_total", webhookURL = "webhook_url"
    }
}

/// One Bot API call as the sandbox saw it (`GET /sandbox/bots/<bot id>/calls`): what tests
/// need to prove that a 429's `retry_after` was obeyed.
public struct CallRecord: Codable, Sendable, Equatable {
    /// Order among this bot's calls, from 1.
    public var sequence: Int
    public var method: String
    /// The chat the call was for, when it names one.
    public var chatID: Int64?
    /// When the request arrived and when it was answered, microseconds since the Unix epoch.
    public var arrivedUs: Int64
    public var answeredUs: Int64
    /// The HTTP status answered.
    public var status: Int

    enum CodingKeys: String, CodingKey {
        case sequence, method, status
        case chatID = "chat_id", arrivedUs = "arrived_us", answeredUs = "answered_us"
    }
}

/// Chats that refuse messages (`POST /sandbox/bots/<bot id>/chats`): each list replaces the
/// one before; a list left out stays as it is.
public struct SandboxChats: Codable, Sendable, Equatable {
    /// Users who blocked the bot: 403.
    public var blocked: [Int64]?
    /// Chats that do not exist: 400 `chat not found`.
    public var missing: [Int64]?
}

/// One `getUpdates` as the sandbox saw it: from which host, when it began and ended, and how
/// it ended (`answered`; `conflict`: a newer poll, or a `setWebhook`, ended it, see `ended_by`;
/// `disconnected`: its caller closed the connection while it waited; `refused`: a webhook was
/// set). Two hosts polled one bot at once exactly when a poll of one ended in a `conflict`
/// caused by the other.
public struct PollRecord: Codable, Sendable, Equatable {
    /// The caller's IP address.
    public var host: String
    /// Microseconds since the Unix epoch.
    public var startedUs: Int64
    public var endedUs: Int64
    public var outcome: String
    /// For a `conflict`: the host whose poll ended it, or `setWebhook`.
    public var endedBy: String?
    /// Updates it returned.
    public var updates: Int

    enum CodingKeys: String, CodingKey {
        case host, outcome, updates
        case startedUs = "started_us", endedUs = "ended_us", endedBy = "ended_by"
    }
}

/// Who made a Bot API call: the peer's host, and the connection's close, which ends a long
/// poll still waiting (its caller is gone).
public struct SandboxCaller: Sendable {
    public var host: String
    public var connectionClosed: EventLoopFuture<Void>?

    public init(host: String = "", connectionClosed: EventLoopFuture<Void>? = nil) {
        self.host = host
        self.connectionClosed = connectionClosed
    }
}
