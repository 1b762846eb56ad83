/// What a broadcast sends to every chat of its audience: a text (with an optional parse mode),
/// or a copy of an existing message (`copyMessage`, so photos and formatting travel as they are).
public struct BroadcastMessage: Codable, Sendable, Equatable {
    /// The text to send; `nil` for a copy.
    public var text: String?
    /// `HTML`, `Markdown` or `MarkdownV2`, for a text.
    public var parseMode: String?
    /// The chat of the message to copy.
    public var fromChatID: Int64?
    /// The message to copy.
    public var messageID: Int64?

    public init(text: String? = nil, parseMode: String? = nil, fromChatID: Int64? = nil, messageID: Int64? = nil) {
        self.text = text
        self.parseMode = parseMode
        self.fromChatID = fromChatID
        self.messageID = messageID
    }

    /// Why this message cannot be sent, or `nil` when it can.
    public var problem: String? {
        switch (text, fromChatID, messageID) {
        case (let text?, nil, nil):
            if text.isEmpty { return "the text is empty" }
            if text.count > 4096 { return "the text is longer than Telegram's 4096 characters" }
            if let parseMode, !["HTML", "Markdown", "MarkdownV2"].contains(parseMode) {
                return "parse mode \"\(parseMode)\" is not HTML, Markdown or MarkdownV2"
            }
            return nil
        case (nil, _?, _?): return nil
        case (nil, _, _): return "give a text, or the chat and message id of a message to copy"
        case (_?, _, _): return "give a text or a message to copy, not both"
        }
    }

    enum CodingKeys: String, CodingKey {
        case text
        case parseMode = "parse_mode", fromChatID = "from_chat_id", messageID = "message_id"
    }
}

/// Where a broadcast is in its life.
public enum BroadcastState: String, Codable, Sendable, Equatable, CaseIterable {
    /// Waiting for the bot's broadcast before it to end (a bot sends one broadcast at a time).
    case queued
    case running
    /// Stopped by an operator; `resume` queues it again where it stopped.
    case paused
    /// Stopped for good by an operator; the chats not reached stay unsent.
    case cancelled
    /// Every chat of the audience has an outcome.
    case done

    /// Whether the broadcast still has work to do (or may again, once resumed).
    public var isFinal: Bool { self == .cancelled || self == .done }
}

/// What became of one chat of a broadcast.
public enum BroadcastOutcomeKind: String, Codable, Sendable, Equatable, CaseIterable {
    case sent
    /// 403: the user blocked the bot (the chat is marked and left out of later broadcasts to
    /// the bot's known chats).
    case blocked
    /// 400: the chat does not exist or the request was refused (`chat not found`, …).
    case invalid
    /// A transient failure (5xx, the network) that outlasted the retries.
    case failed
}

/// How many chats of a broadcast ended each way.
public struct BroadcastCounts: Codable, Sendable, Equatable {
    public var sent: Int
    public var blocked: Int
    public var invalid: Int
    public var failed: Int

    public init(sent: Int = 0, blocked: Int = 0, invalid: Int = 0, failed: Int = 0) {
        self.sent = sent
        self.blocked = blocked
        self.invalid = invalid
        self.failed = failed
    }

    /// Chats with an outcome.
    public var done: Int { sent + blocked + invalid + failed }

    /// Adds one outcome.
    public mutating func count(_ outcome: BroadcastOutcomeKind) {
        switch outcome {
        case .sent: sent += 1
        case .blocked: blocked += 1
        case .invalid: invalid += 1
        case .failed: failed += 1
        }
    }
}

/// A chat a broadcast did not reach, and why.
public struct BroadcastFailure: Codable, Sendable, Equatable {
    public var chat: Int64
    /// `blocked`, `invalid` or `failed`.
    public var outcome: BroadcastOutcomeKind
    /// The Bot API's description (never a token; never the message's text).
    public var reason: String

    public init(chat: Int64, outcome: BroadcastOutcomeKind, reason: String) {
        self.chat = chat
        self.outcome = outcome
        self.reason = reason
    }
}

/// One broadcast as `botmaster broadcast show` and `GET /api/bots/<id>/broadcasts/<bid>` report it.
public struct BroadcastInfo: Codable, Sendable, Equatable {
    /// The broadcast's id within its bot (`1`, `2`, …).
    public var id: String
    public var state: BroadcastState
    public var message: BroadcastMessage
    /// `list` (chat ids given when it was made) or `known` (every chat the bot had talked to
    /// then, less those that blocked it).
    public var audience: String
    /// Chats in the audience.
    public var total: Int
    public var counts: BroadcastCounts
    /// Sends per second it aims at (the bot's limits and 429s can hold it lower).
    public var ratePerSecond: Double
    /// Unix milliseconds.
    public var createdMs: Int64
    public var startedMs: Int64?
    public var finishedMs: Int64?
    /// The chats not reached and why (the first ``BroadcastInfo/reportedFailures``), in
    /// `show` only.
    public var failures: [BroadcastFailure]?

    /// The most failed chats a report lists (the counts are always complete).
    public static let reportedFailures = 1000

    public init(
        id: String, state: BroadcastState, message: BroadcastMessage, audience: String, total: Int, counts: BroadcastCounts = .init(),
        ratePerSecond: Double, createdMs: Int64, startedMs: Int64? = nil, finishedMs: Int64? = nil, failures: [BroadcastFailure]? = nil
    ) {
        self.id = id
        self.state = state
        self.message = message
        self.audience = audience
        self.total = total
        self.counts = counts
        self.ratePerSecond = ratePerSecond
        self.createdMs = createdMs
        self.startedMs = startedMs
        self.finishedMs = finishedMs
        self.failures = failures
    }

    /// Chats not yet reached.
    public var remaining: Int { max(total - counts.done, 0) }

    enum CodingKeys: String, CodingKey {
        case id, state, message, audience, total, counts, failures
        case ratePerSecond = "rate_per_second", createdMs = "created_ms", startedMs = "started_ms", finishedMs = "finished_ms"
    }
}

/// Master → worker: a broadcast action. JSON.
public struct BroadcastRequest: Codable, Sendable, Equatable {
    public enum Action: String, Codable, Sendable, Equatable {
        /// Make a broadcast (``message``, ``chats`` or ``audience`` `known`, optional ``rate``).
        case create
        /// Every broadcast the bot keeps, oldest first.
        case list
        /// One broadcast with its failed chats.
        case show
        case pause, resume, cancel
    }

    public var requestID: UInt64
    public var action: Action
    /// The broadcast, for `show`, `pause`, `resume` and `cancel`.
    public var id: String?
    public var message: BroadcastMessage?
    /// The audience as chat ids, in the order to send; or `nil` with ``audience`` `known`.
    public var chats: [Int64]?
    /// `known`: every chat the bot has talked to, less those that blocked it.
    public var audience: String?
    /// Sends per second; the bot's `[rate] broadcast_per_second` when absent.
    public var rate: Double?

    public init(
        requestID: UInt64, action: Action, id: String? = nil, message: BroadcastMessage? = nil, chats: [Int64]? = nil,
        audience: String? = nil, rate: Double? = nil
    ) {
        self.requestID = requestID
        self.action = action
        self.id = id
        self.message = message
        self.chats = chats
        self.audience = audience
        self.rate = rate
    }

    enum CodingKeys: String, CodingKey {
        case action, id, message, chats, audience, rate
        case requestID = "request_id"
    }

    public func frame() -> Frame { Frame(type: .broadcast, payload: JSONPayload.encode(self)) }

    /// Why a `create` cannot be made, or `nil`: checked by the master before the request goes
    /// to the worker, and again by the worker.
    public var createProblem: String? {
        guard let message else { return "a broadcast needs a message" }
        if let problem = message.problem { return problem }
        switch (chats, audience) {
        case (let chats?, nil) where chats.isEmpty: return "the chat list is empty"
        case (_?, nil), (nil, "known"): break
        case (nil, nil): return "give the chats, or the audience \"known\""
        case (_?, _?): return "give the chats or the audience \"known\", not both"
        case (nil, let other?): return "audience \"\(other)\" is not \"known\""
        }
        if let rate, !(rate > 0 && rate <= Self.maximumRate) {
            return "rate must be above 0 and at most \(Int(Self.maximumRate)) messages per second"
        }
        return nil
    }

    /// Telegram's paid broadcasts allow up to 1,000 messages a second.
    public static let maximumRate = 1000.0
}

/// Worker → master: the answer to a ``BroadcastRequest``. JSON.
public struct BroadcastReply: Codable, Sendable, Equatable {
    public var requestID: UInt64
    /// A one-line reason when the action failed (no such broadcast, the store cannot be used).
    public var error: String?
    /// The broadcast made or acted on (one), or every broadcast (`list`).
    public var broadcasts: [BroadcastInfo]?

    public init(requestID: UInt64, error: String? = nil, broadcasts: [BroadcastInfo]? = nil) {
        self.requestID = requestID
        self.error = error
        self.broadcasts = broadcasts
    }

    enum CodingKeys: String, CodingKey {
        case error, broadcasts
        case requestID = "request_id"
    }

    public func frame() -> Frame { Frame(type: .broadcastReply, payload: JSONPayload.encode(self)) }
}
