/// One dead letter: a job that failed `max_attempts` times, as `botmaster dlq` shows it.
public struct DeadLetterEntry: Codable, Sendable, Equatable {
    /// The job's key: `<chat>:<first update>-<last update>` (and `/<tag>`).
    public var key: String
    public var chat: Int64
    /// `batch`, `forward`, `operator_reply`, `handoff_started` or `handoff_ended`.
    public var kind: String
    public var updateIDs: [Int64]
    public var attempts: Int
    public var lastError: String
    /// When it was dead-lettered, Unix milliseconds.
    public var atMs: Int64
    /// The batch's message texts, for `dlq show` (never logged).
    public var texts: [String]

    public init(
        key: String, chat: Int64, kind: String, updateIDs: [Int64], attempts: Int, lastError: String, atMs: Int64,
        texts: [String]
    ) {
        self.key = key
        self.chat = chat
        self.kind = kind
        self.updateIDs = updateIDs
        self.attempts = attempts
        self.lastError = lastError
        self.atMs = atMs
        self.texts = texts
    }

    enum CodingKeys: String, CodingKey {
        case key, chat, kind, attempts, texts
        case updateIDs = "update_ids", lastError = "last_error", atMs = "at_ms"
    }
}

/// Master → worker: a `botmaster dlq` action for the bot's dead-letter list. JSON.
public struct DeadLetterRequest: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, Equatable {
        /// Every entry, oldest first.
        case list
        /// Run entries again: the one with `key`, or all when `key` is absent.
        case retry
        /// Drop every entry.
        case purge
    }

    public var requestID: UInt64
    public var action: Action
    public var key: String?

    public init(requestID: UInt64, action: Action, key: String? = nil) {
        self.requestID = requestID
        self.action = action
        self.key = key
    }

    enum CodingKeys: String, CodingKey {
        case action, key
        case requestID = "request_id"
    }

    public func frame() -> Frame { Frame(type: .deadLetters, payload: JSONPayload.encode(self)) }
}

/// Worker → master: the answer to a ``DeadLetterRequest``. JSON.
public struct DeadLetterReply: Codable, Sendable, Equatable {
    public var requestID: UInt64
    /// A one-line reason when the action failed (no such entry, the store cannot be used).
    public var error: String?
    /// The entries, for `list`.
    public var entries: [DeadLetterEntry]?
    /// How many entries were retried or purged.
    public var count: Int?
    /// The bot's store: `sqlite`, `redis` or `memory`.
    public var store: String

    public init(requestID: UInt64, error: String? = nil, entries: [DeadLetterEntry]? = nil, count: Int? = nil, store: String) {
        self.requestID = requestID
        self.error = error
        self.entries = entries
        self.count = count
        self.store = store
    }

    enum CodingKeys: String, CodingKey {
        case error, entries, count, store
        case requestID = "request_id"
    }

    public func frame() -> Frame { Frame(type: .deadLettersReply, payload: JSONPayload.encode(self)) }
}
