import BotAPI
import DequeModule

/// One bot's world inside the sandbox: its pending updates, the messages of its chats, what it
/// sent, its webhook and the faults waiting to be injected.
struct SandboxBot {
    let id: Int64
    /// Updates not yet confirmed by a `getUpdates` offset or a successful webhook delivery.
    var pending: Deque<Update> = []
    var nextUpdateID: Int64
    /// Telegram numbers messages per chat: the last id given in each, else the first is
    /// ``firstMessageID``.
    var lastMessageID: [Int64: Int64] = [:]
    let firstMessageID: Int64
    /// Recent messages by chat and id, for forwardMessage, copyMessage and replies.
    var messages: [MessageKey: Message] = [:]
    var messageOrder: Deque<MessageKey> = []
    var sent: Deque<SentRecord> = []
    var sentTotal = 0
    var webhook: SetWebhook?
    var faults: Deque<SandboxFault> = []
    var calls: [String: Int] = [:]
    /// The long poll in progress, which a newer `getUpdates` ends with 409 as Telegram does.
    var poller: Int?
    /// Chats whose user blocked the bot: sends to them answer 403.
    var blockedChats: Set<Int64> = []
    /// Chats that do not exist: sends to them answer 400.
    var missingChats: Set<Int64> = []
    /// Every Bot API call but `getUpdates`, with when it arrived and how it was answered.
    var callLog: Deque<CallRecord> = []
    var callTotal = 0

    /// - Parameter firstID: the first update's id, and each chat's first message's.
    init(id: Int64, firstID: Int64) {
        self.id = id
        self.nextUpdateID = firstID
        self.firstMessageID = firstID
    }

    static let keptCalls = 200_000
    /// Every `getUpdates`, oldest first (the last ``keptPolls``).
    var polls: Deque<PollRecord> = []
    static let keptPolls = 20_000

    mutating func recordPoll(_ record: PollRecord) {
        polls.append(record)
        if polls.count > Self.keptPolls { polls.removeFirst() }
    }

    struct MessageKey: Hashable {
        var chat: Int64
        var message: Int64
    }

    static let keptMessages = 20_000
    static let keptSent = 20_000

    var me: User { User(id: id, isBot: true, firstName: "Sandbox bot \(id)", username: "sandbox_\(id)_bot") }

    mutating func newMessageID(in chat: Int64) -> Int64 {
        let next = lastMessageID[chat].map { $0 + 1 } ?? firstMessageID
        lastMessageID[chat] = next
        return next
    }

    mutating func remember(_ message: Message) {
        let key = MessageKey(chat: message.chat.id, message: message.messageID)
        if messages.updateValue(message, forKey: key) == nil { messageOrder.append(key) }
        while messageOrder.count > Self.keptMessages, let oldest = messageOrder.popFirst() { messages[oldest] = nil }
    }

    mutating func enqueue(_ update: Update) {
        nextUpdateID = max(nextUpdateID, update.updateID + 1)
        pending.append(update)
        if let message = update.message ?? update.editedMessage { remember(message) }
    }

    /// Forgets updates below `offset`, as `getUpdates` with that offset confirms them.
    mutating func confirm(below offset: Int64) {
        while let first = pending.first, first.updateID < offset { pending.removeFirst() }
        // Updates injected out of order (a raw update with an old id) are confirmed too.
        if pending.contains(where: { $0.updateID < offset }) { pending.removeAll { $0.updateID < offset } }
    }

    mutating func record(
        _ method: String, message: Message, fromChatID: Int64? = nil, replyTo: Int64? = nil, arrivedUs: Int64?, atUs: Int64
    ) {
        sentTotal += 1
        sent.append(
            SentRecord(
                sequence: sentTotal, method: method, chatID: message.chat.id, messageID: message.messageID, text: message.text,
                fromChatID: fromChatID, replyToMessageID: replyTo, atMs: atUs / 1000, atUs: atUs, arrivedUs: arrivedUs))
        if sent.count > Self.keptSent { sent.removeFirst() }
        remember(message)
    }

    mutating func log(_ method: String, chat: Int64?, arrivedUs: Int64, answeredUs: Int64, status: Int) {
        callTotal += 1
        callLog.append(
            CallRecord(sequence: callTotal, method: method, chatID: chat, arrivedUs: arrivedUs, answeredUs: answeredUs, status: status))
        if callLog.count > Self.keptCalls { callLog.removeFirst() }
    }

    /// Why a send to `chat` fails, if it does.
    func refusal(sendingTo chat: Int64) -> Sandbox.Failure? {
        if blockedChats.contains(chat) { return Sandbox.Failure(code: 403, description: "Forbidden: bot was blocked by the user") }
        if missingChats.contains(chat) { return Sandbox.Failure(code: 400, description: "Bad Request: chat not found") }
        return nil
    }

    /// The next fault for `method`, consumed.
    mutating func takeFault(for method: String) -> SandboxFault? {
        guard let index = faults.firstIndex(where: { $0.method == method || ($0.method == nil && method != "getUpdates") }) else {
            return nil
        }
        var fault = faults[index]
        fault.count -= 1
        if fault.count <= 0 { faults.remove(at: index) } else { faults[index] = fault }
        return fault
    }

    var summary: SandboxBotSummary {
        SandboxBotSummary(botID: id, pendingUpdates: pending.count, sentTotal: sentTotal, webhookURL: webhook?.url, calls: calls)
    }

    static func chat(_ id: Int64) -> Chat {
        id > 0 ? Chat(id: id, type: "private", firstName: "User \(id)") : Chat(id: id, type: "group", title: "Group \(id)")
    }
}
