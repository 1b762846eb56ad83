/// Request bodies of the Bot API methods the runtime calls, with the API's parameter names.

/// `getUpdates`.
public struct GetUpdates: Codable, Sendable, Equatable {
    public var offset: Int64?
    public var limit: Int?
    /// Long-polling timeout in seconds.
    public var timeout: Int?
    public var allowedUpdates: [String]?

    public init(offset: Int64? = nil, limit: Int? = nil, timeout: Int? = nil, allowedUpdates: [String]? = nil) {
        self.offset = offset
        self.limit = limit
        self.timeout = timeout
        self.allowedUpdates = allowedUpdates
    }

    enum CodingKeys: String, CodingKey {
        case offset, limit, timeout
        case allowedUpdates = "allowed_updates"
    }
}

/// `reply_parameters` of `sendMessage`.
public struct ReplyParameters: Codable, Sendable, Equatable {
    public var messageID: Int64
    /// Send even if the message to reply to is gone.
    public var allowSendingWithoutReply: Bool?

    public init(messageID: Int64, allowSendingWithoutReply: Bool? = true) {
        self.messageID = messageID
        self.allowSendingWithoutReply = allowSendingWithoutReply
    }

    enum CodingKeys: String, CodingKey {
        case messageID = "message_id"
        case allowSendingWithoutReply = "allow_sending_without_reply"
    }
}

/// `sendMessage`.
public struct SendMessage: Codable, Sendable, Equatable {
    public var chatID: Int64
    public var text: String
    public var replyParameters: ReplyParameters?
    /// `HTML`, `Markdown` or `MarkdownV2`; plain text when absent.
    public var parseMode: String?

    public init(chatID: Int64, text: String, replyParameters: ReplyParameters? = nil, parseMode: String? = nil) {
        self.chatID = chatID
        self.text = text
        self.replyParameters = replyParameters
        self.parseMode = parseMode
    }

    enum CodingKeys: String, CodingKey {
        case text
        case chatID = "chat_id"
        case replyParameters = "reply_parameters"
        case parseMode = "parse_mode"
    }
}

/// `forwardMessage` and `copyMessage` (same parameters).
public struct MessageTransfer: Codable, Sendable, Equatable {
    public var chatID: Int64
    public var fromChatID: Int64
    public var messageID: Int64

    public init(chatID: Int64, fromChatID: Int64, messageID: Int64) {
        self.chatID = chatID
        self.fromChatID = fromChatID
        self.messageID = messageID
    }

    enum CodingKeys: String, CodingKey {
        case chatID = "chat_id"
        case fromChatID = "from_chat_id"
        case messageID = "message_id"
    }
}

/// `setWebhook`.
public struct SetWebhook: Codable, Sendable, Equatable {
    public var url: String
    /// Sent back by Telegram in `X-Telegram-Bot-Api-Secret-Token` with every delivery.
    public var secretToken: String?
    public var allowedUpdates: [String]?
    public var dropPendingUpdates: Bool?

    public init(url: String, secretToken: String? = nil, allowedUpdates: [String]? = nil, dropPendingUpdates: Bool? = nil) {
        self.url = url
        self.secretToken = secretToken
        self.allowedUpdates = allowedUpdates
        self.dropPendingUpdates = dropPendingUpdates
    }

    enum CodingKeys: String, CodingKey {
        case url
        case secretToken = "secret_token"
        case allowedUpdates = "allowed_updates"
        case dropPendingUpdates = "drop_pending_updates"
    }
}

/// `deleteWebhook`.
public struct DeleteWebhook: Codable, Sendable, Equatable {
    public var dropPendingUpdates: Bool?

    public init(dropPendingUpdates: Bool? = nil) { self.dropPendingUpdates = dropPendingUpdates }

    enum CodingKeys: String, CodingKey { case dropPendingUpdates = "drop_pending_updates" }
}

/// A method without parameters (`getMe`).
public struct NoParameters: Codable, Sendable, Equatable {
    public init() {}
}
