import BotAPI
import BotRuntime

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One message of a job, with what the handler's document says about its sender.
package struct JobMessage: Codable, Sendable, Equatable {
    package var updateID: Int64
    package var messageID: Int64
    package var text: String
    package var userID: Int64?
    package var firstName: String?
    package var username: String?
    package var chatType: String?

    package init(
        updateID: Int64, messageID: Int64, text: String, userID: Int64? = nil, firstName: String? = nil, username: String? = nil,
        chatType: String? = nil
    ) {
        self.updateID = updateID
        self.messageID = messageID
        self.text = text
        self.userID = userID
        self.firstName = firstName
        self.username = username
        self.chatType = chatType
    }

    enum CodingKeys: String, CodingKey {
        case text, username
        case updateID = "update_id", messageID = "message_id", userID = "user_id", firstName = "first_name"
        case chatType = "chat_type"
    }
}

/// One unit of work in a chat's queue. Jobs of one chat run in order; the update ids are
/// finished (and may be confirmed to the Bot API) only when the job is over.
///
/// The job is also its own durable document (JSON, in the Redis stream, retry set and dead
/// letters): what it is, how often it failed, the handler's reply once there is one, and which
/// of its steps (the Bot API calls it makes) already happened, so that a retry repeats none.
package struct BotJob: Codable, Sendable {
    package enum Kind: String, Codable, Sendable {
        /// A rapid-fire batch for the handler.
        case batch
        /// A user message in handoff, forwarded to the operator chat.
        case forward
        /// An operator's reply, copied to the user's chat.
        case operatorReply = "operator_reply"
        /// The chat was handed to an operator (`/operator` or a handler's `handoff: true`).
        case handoffStarted = "handoff_started"
        /// The chat is back with the bot.
        case handoffEnded = "handoff_ended"
    }

    /// The user chat whose queue the job is in.
    var chatID: Int64
    var kind: Kind
    /// The messages of a batch.
    var messages: [JobMessage] = []
    var updateIDs: [Int64]
    /// The message to forward, or the operator's message to copy.
    var messageID: Int64?
    var operatorChatID: Int64?
    /// Tells apart jobs born of the same updates (a handler's handoff after its batch).
    var tag: String?
    /// Failed attempts so far.
    var failures = 0
    /// Back from the retry schedule (after a failure, or a wait for the circuit breaker that
    /// counted no attempt): its chat's later jobs wait behind it.
    var retried = false
    /// The handler's reply once it has one, so that a retry after a failed send does not run
    /// the handler again.
    var reply: HandlerReply?
    /// Steps (Bot API calls, numbered in the order the job makes them) already done.
    package var stepsDone: Set<Int> = []

    /// Which job this is in its store (a Redis stream entry, an SQLite row); not part of the
    /// document.
    package var storeID: String?
    /// Taken again after its worker died: its steps' idempotency records must be read first.
    package var redelivered = false
    /// Steps done whose idempotency keys are not yet written: written before the next step
    /// or with the job's acknowledgement, whichever comes first.
    package var unrecordedSteps: [(step: Int, messageID: Int64)] = []

    init(
        chatID: Int64, kind: Kind, messages: [JobMessage] = [], updateIDs: [Int64]? = nil, messageID: Int64? = nil,
        operatorChatID: Int64? = nil, tag: String? = nil
    ) {
        self.chatID = chatID
        self.kind = kind
        self.messages = messages
        self.updateIDs = updateIDs ?? messages.map(\.updateID)
        self.messageID = messageID
        self.operatorChatID = operatorChatID
        self.tag = tag
    }

    /// Stable key of the job for the dead-letter list and idempotency: chat, first and last
    /// update id (the bot is in every key's prefix), and the tag if any.
    package var key: String {
        "\(chatID):\(updateIDs.first ?? 0)-\(updateIDs.last ?? 0)" + (tag.map { "/" + $0 } ?? "")
    }

    var kindName: String { kind.rawValue }

    /// The most steps the job can make: what an idempotency check after a crash reads.
    var maximumSteps: Int {
        switch kind {
        case .batch: max(messages.count, 1)
        case .handoffStarted: 2
        case .forward, .operatorReply, .handoffEnded: 1
        }
    }

    /// The job as a dead letter's retry runs it: from its first attempt, with the handler run
    /// again (it failed, or its reply could not be sent); sent steps stay sent.
    var freshAttempt: BotJob {
        var fresh = self
        fresh.failures = 0
        fresh.retried = false
        fresh.reply = nil
        return fresh
    }

    /// The chat of a stored job document that is a retry (scheduled, or back in the queue), or
    /// nil. Cheap for the common case: a document without a failure is not decoded.
    static func chatOfRetry(_ document: [UInt8], scheduled: Bool) -> Int64? {
        if !scheduled {
            let text = String(decoding: document, as: UTF8.self)
            guard text.contains("\"retried\"") || text.contains("\"failures\"") else { return nil }
        }
        guard let job = try? BotJob.decode(document), scheduled || job.retried else { return nil }
        return job.chatID
    }

    /// A document for a store (a job, a batch message, a dead letter) as JSON bytes.
    static func encode(_ value: some Encodable) -> [UInt8] {
        Array((try? JSONEncoder().encode(value)) ?? Data("{}".utf8))
    }

    /// The batch's texts joined with newlines, in order.
    var mergedText: String { messages.map(\.text).joined(separator: "\n") }

    enum CodingKeys: String, CodingKey {
        case kind, messages, tag, failures, retried, reply
        case chatID = "chat", updateIDs = "updates", messageID = "message_id", operatorChatID = "operator_chat"
        case stepsDone = "steps"
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        chatID = try container.decode(Int64.self, forKey: .chatID)
        kind = try container.decode(Kind.self, forKey: .kind)
        messages = try container.decodeIfPresent([JobMessage].self, forKey: .messages) ?? []
        // A batch taken by the Lua script carries its messages only.
        updateIDs = try container.decodeIfPresent([Int64].self, forKey: .updateIDs) ?? messages.map(\.updateID)
        messageID = try container.decodeIfPresent(Int64.self, forKey: .messageID)
        operatorChatID = try container.decodeIfPresent(Int64.self, forKey: .operatorChatID)
        tag = try container.decodeIfPresent(String.self, forKey: .tag)
        failures = try container.decodeIfPresent(Int.self, forKey: .failures) ?? 0
        // Documents from before the flag: a failed job was a retried one.
        retried = try container.decodeIfPresent(Bool.self, forKey: .retried) ?? (failures > 0)
        reply = try container.decodeIfPresent(HandlerReply.self, forKey: .reply)
        stepsDone = try container.decodeIfPresent(Set<Int>.self, forKey: .stepsDone) ?? []
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(chatID, forKey: .chatID)
        try container.encode(kind, forKey: .kind)
        if !messages.isEmpty { try container.encode(messages, forKey: .messages) }
        try container.encode(updateIDs, forKey: .updateIDs)
        try container.encodeIfPresent(messageID, forKey: .messageID)
        try container.encodeIfPresent(operatorChatID, forKey: .operatorChatID)
        try container.encodeIfPresent(tag, forKey: .tag)
        if failures > 0 { try container.encode(failures, forKey: .failures) }
        if retried { try container.encode(retried, forKey: .retried) }
        try container.encodeIfPresent(reply, forKey: .reply)
        if !stepsDone.isEmpty { try container.encode(stepsDone.sorted(), forKey: .stepsDone) }
    }
}
