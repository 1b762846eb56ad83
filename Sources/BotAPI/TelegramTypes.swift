/// The Telegram Bot API objects the runtime reads and writes, with the field names of
/// https://core.telegram.org/bots/api. Only the fields botmaster uses are modelled; unknown
/// fields are ignored when decoding, as the API asks of clients.

/// A Telegram user or bot (`User`).
public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    public var isBot: Bool
    public var firstName: String
    public var lastName: String?
    public var username: String?

    public init(id: Int64, isBot: Bool, firstName: String, lastName: String? = nil, username: String? = nil) {
        self.id = id
        self.isBot = isBot
        self.firstName = firstName
        self.lastName = lastName
        self.username = username
    }

    enum CodingKeys: String, CodingKey {
        case id, username
        case isBot = "is_bot", firstName = "first_name", lastName = "last_name"
    }
}

/// A chat (`Chat`): `private`, `group`, `supergroup` or `channel`.
public struct Chat: Codable, Sendable, Equatable {
    public var id: Int64
    public var type: String
    public var title: String?
    public var username: String?
    public var firstName: String?

    public init(id: Int64, type: String, title: String? = nil, username: String? = nil, firstName: String? = nil) {
        self.id = id
        self.type = type
        self.title = title
        self.username = username
        self.firstName = firstName
    }

    enum CodingKeys: String, CodingKey {
        case id, type, title, username
        case firstName = "first_name"
    }
}

/// The message a message replies to: the fields of `Message` without its own reply (a
/// `Message` cannot contain itself by value). `date` and `from` are optional here because the
/// runtime reads neither: an update is never refused for them.
public struct RepliedMessage: Codable, Sendable, Equatable {
    public var messageID: Int64
    public var date: Int64?
    public var chat: Chat
    public var from: User?
    public var text: String?

    public init(messageID: Int64, date: Int64? = nil, chat: Chat, from: User? = nil, text: String? = nil) {
        self.messageID = messageID
        self.date = date
        self.chat = chat
        self.from = from
        self.text = text
    }

    /// `message` as the message another one replies to.
    public init(_ message: Message) {
        self.init(messageID: message.messageID, date: message.date, chat: message.chat, from: message.from, text: message.text)
    }

    enum CodingKeys: String, CodingKey {
        case date, chat, from, text
        case messageID = "message_id"
    }
}

/// A message (`Message`).
public struct Message: Codable, Sendable, Equatable {
    public var messageID: Int64
    public var date: Int64
    public var chat: Chat
    public var from: User?
    public var text: String?
    public var replyToMessage: RepliedMessage?

    public init(messageID: Int64, date: Int64, chat: Chat, from: User? = nil, text: String? = nil, replyToMessage: RepliedMessage? = nil) {
        self.messageID = messageID
        self.date = date
        self.chat = chat
        self.from = from
        self.text = text
        self.replyToMessage = replyToMessage
    }

    enum CodingKeys: String, CodingKey {
        case date, chat, from, text
        case messageID = "message_id"
        case replyToMessage = "reply_to_message"
    }
}

/// An incoming update (`Update`). Kinds other than messages are received, counted and confirmed.
public struct Update: Codable, Sendable, Equatable {
    public var updateID: Int64
    public var message: Message?
    public var editedMessage: Message?

    public init(updateID: Int64, message: Message? = nil, editedMessage: Message? = nil) {
        self.updateID = updateID
        self.message = message
        self.editedMessage = editedMessage
    }

    enum CodingKeys: String, CodingKey {
        case message
        case updateID = "update_id"
        case editedMessage = "edited_message"
    }
}

/// Why a request failed, beyond the description (`ResponseParameters`).
public struct ResponseParameters: Codable, Sendable, Equatable {
    /// Seconds to wait before repeating a request that hit flood control (HTTP 429).
    public var retryAfter: Int?
    /// The supergroup a group migrated to.
    public var migrateToChatID: Int64?

    public init(retryAfter: Int? = nil, migrateToChatID: Int64? = nil) {
        self.retryAfter = retryAfter
        self.migrateToChatID = migrateToChatID
    }

    enum CodingKeys: String, CodingKey {
        case retryAfter = "retry_after"
        case migrateToChatID = "migrate_to_chat_id"
    }
}

/// Every Bot API answer: `{"ok": true, "result": …}` or `{"ok": false, "error_code": …, "description": …}`.
public struct APIResponse<Result: Codable & Sendable>: Codable, Sendable {
    public var ok: Bool
    public var result: Result?
    public var errorCode: Int?
    public var description: String?
    public var parameters: ResponseParameters?

    public init(ok: Bool, result: Result? = nil, errorCode: Int? = nil, description: String? = nil, parameters: ResponseParameters? = nil) {
        self.ok = ok
        self.result = result
        self.errorCode = errorCode
        self.description = description
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case ok, result, description, parameters
        case errorCode = "error_code"
    }
}

/// The `result` of `copyMessage`.
public struct MessageID: Codable, Sendable, Equatable {
    public var messageID: Int64

    public init(messageID: Int64) { self.messageID = messageID }

    enum CodingKeys: String, CodingKey { case messageID = "message_id" }
}
