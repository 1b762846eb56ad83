import BotAPI
import NIOCore

/// The sandbox's state: every bot it has seen, keyed by the number in front of the token's
/// colon, as Telegram does. All Bot API and test-control calls go through this actor.
public actor Sandbox {
    private var bots: [Int64: SandboxBot] = [:]
    private var pollWaiters: [Int64: (ticket: Int, continuation: CheckedContinuation<PollWake, Never>)] = [:]
    private var deliveryWaiters: [Int64: CheckedContinuation<Void, Never>] = [:]
    private var nextTicket = 0
    private let clock: @Sendable () -> Int64
    private let firstID: Int64
    private let deliver: @Sendable (Update, SetWebhook) async -> Bool

    /// Why a waiting long poll ended: an update came, its time ran out, a newer `getUpdates`
    /// or a `setWebhook` ended it (naming the caller's host, or `setWebhook`), or its caller
    /// closed the connection.
    enum PollWake {
        case update, timeout, disconnected
        case conflict(by: String)
    }

    /// A Bot API failure: the status, description and optional `retry_after`.
    public struct Failure: Error, Sendable, Equatable {
        public var code: Int
        public var description: String
        public var retryAfter: Int?
    }

    /// - Parameters:
    ///   - clock: microseconds since the Unix epoch, for message dates and records.
    ///   - firstID: the id of each bot's first update and of each chat's first message.
    ///     Telegram never reuses either, and a bot remembers the ones it took (its durable
    ///     store the update ids, its dedup window a chat's message ids): a sandbox restarted
    ///     under the same bots must not number from where the last one began (``firstIDNow(clock:)``).
    ///   - deliver: posts one update to a webhook; `true` when it answered 2xx.
    public init(
        clock: @escaping @Sendable () -> Int64, firstID: Int64 = 1,
        deliver: @escaping @Sendable (Update, SetWebhook) async -> Bool
    ) {
        self.clock = clock
        self.firstID = firstID
        self.deliver = deliver
    }

    /// A first id above any an earlier sandbox handed out, as long as it handed out no more than
    /// one a second on average since it started (a quick start's, a developer's): the seconds
    /// since the Unix epoch. Ten digits, as Telegram's ids have, within the 32-bit integers some
    /// clients keep them in (C#'s Telegram.Bot, Java's TelegramBots) until 2038.
    public static func firstIDNow(clock: () -> Int64) -> Int64 { clock() / 1_000_000 }

    func bot(_ id: Int64) -> SandboxBot {
        bots[id] ?? SandboxBot(id: id, firstID: firstID)
    }

    /// Changes a bot in place: a copy out of the dictionary would copy its message tables on
    /// every call.
    private func update(_ id: Int64, _ change: (inout SandboxBot) -> Void) {
        change(&bots[id, default: SandboxBot(id: id, firstID: firstID)])
    }

    /// Counts a call and returns the fault to inject for it, if any.
    func begin(_ method: String, bot id: Int64) -> SandboxFault? {
        var fault: SandboxFault?
        update(id) { bot in
            bot.calls[method, default: 0] += 1
            fault = bot.takeFault(for: method)
        }
        return fault
    }

    // MARK: Bot API methods

    func getMe(bot id: Int64) -> User { bot(id).me }

    /// `getUpdates`, recorded with its caller's host, when it began and ended and how
    /// (``PollRecord``), so a test can check that two hosts never polled one bot at once.
    /// - Parameter caller: the poller's host and its connection, whose closing ends the poll.
    func getUpdates(bot id: Int64, _ request: GetUpdates, caller: SandboxCaller = SandboxCaller()) async -> Result<[Update], Failure> {
        let started = clock()
        let (result, outcome) = await poll(bot: id, request, caller: caller)
        let record = PollRecord(
            host: caller.host, startedUs: started, endedUs: clock(), outcome: outcome.name, endedBy: outcome.endedBy,
            updates: (try? result.get().count) ?? 0)
        update(id) { $0.recordPoll(record) }
        return result
    }

    /// How a poll ended, for its record.
    private enum PollOutcome {
        case answered, refused, disconnected
        case conflict(by: String)

        var name: String {
            switch self {
            case .answered: "answered"
            case .refused: "refused"
            case .disconnected: "disconnected"
            case .conflict: "conflict"
            }
        }

        var endedBy: String? {
            if case .conflict(let by) = self { return by }
            return nil
        }
    }

    private func poll(bot id: Int64, _ request: GetUpdates, caller: SandboxCaller) async -> (Result<[Update], Failure>, PollOutcome) {
        guard bot(id).webhook == nil else {
            let failure = Failure(
                code: 409,
                description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
            return (.failure(failure), .refused)
        }
        if let previous = pollWaiters.removeValue(forKey: id) { previous.continuation.resume(returning: .conflict(by: caller.host)) }
        let limit = min(max(request.limit ?? 100, 1), 100)
        if let offset = request.offset { update(id) { $0.confirm(below: offset) } }
        let available = { (bot: SandboxBot) in Array(bot.pending.filter { $0.updateID >= (request.offset ?? Int64.min) }.prefix(limit)) }
        let now = available(bot(id))
        let timeout = max(request.timeout ?? 0, 0)
        guard now.isEmpty, timeout > 0 else { return (.success(now), .answered) }
        nextTicket += 1
        let ticket = nextTicket
        let wake = await withCheckedContinuation { continuation in
            pollWaiters[id] = (ticket, continuation)
            Task {
                try? await Task.sleep(for: .seconds(timeout))
                self.endPoll(bot: id, ticket: ticket, .timeout)
            }
            // A caller that went away (killed, or cancelled its request) is not polling any more.
            caller.connectionClosed?.whenComplete { _ in Task { await self.endPoll(bot: id, ticket: ticket, .disconnected) } }
        }
        switch wake {
        case .conflict(let by):
            let failure = Failure(
                code: 409, description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running")
            return (.failure(failure), .conflict(by: by))
        case .disconnected:
            return (.success([]), .disconnected)
        case .update, .timeout:
            guard bot(id).webhook == nil else {
                return (.failure(Failure(code: 409, description: "Conflict: a webhook was set")), .refused)
            }
            return (.success(available(bot(id))), .answered)
        }
    }

    private func endPoll(bot id: Int64, ticket: Int, _ wake: PollWake) {
        guard let waiter = pollWaiters[id], waiter.ticket == ticket else { return }
        pollWaiters[id] = nil
        waiter.continuation.resume(returning: wake)
    }

    /// The polls recorded for a bot, oldest first.
    public func polls(bot id: Int64) -> [PollRecord] {
        Array(bot(id).polls)
    }

    /// The current time in microseconds (the sandbox's clock).
    func now() -> Int64 { clock() }

    func sendMessage(bot id: Int64, _ request: SendMessage, arrivedUs: Int64? = nil) -> Result<Message, Failure> {
        if let refusal = bot(id).refusal(sendingTo: request.chatID) { return .failure(refusal) }
        guard !request.text.isEmpty else { return .failure(Failure(code: 400, description: "Bad Request: message text is empty")) }
        guard request.text.count <= 4096 else { return .failure(Failure(code: 400, description: "Bad Request: message is too long")) }
        var message: Message!
        update(id) { bot in
            let messageID = bot.newMessageID(in: request.chatID)
            let replied = request.replyParameters.flatMap { bot.messages[.init(chat: request.chatID, message: $0.messageID)] }
            message = Message(
                messageID: messageID, date: clock() / 1_000_000, chat: SandboxBot.chat(request.chatID), from: bot.me, text: request.text,
                replyToMessage: replied.map(RepliedMessage.init))
            bot.record(
                "sendMessage", message: message, replyTo: request.replyParameters?.messageID, arrivedUs: arrivedUs, atUs: clock())
        }
        return .success(message)
    }

    func transfer(_ method: String, bot id: Int64, _ request: MessageTransfer, arrivedUs: Int64? = nil) -> Result<Message, Failure> {
        if let refusal = bot(id).refusal(sendingTo: request.chatID) { return .failure(refusal) }
        guard let original = bot(id).messages[.init(chat: request.fromChatID, message: request.messageID)] else {
            return .failure(
                Failure(code: 400, description: "Bad Request: message to \(method == "forwardMessage" ? "forward" : "copy") not found"))
        }
        var message: Message!
        update(id) { bot in
            let messageID = bot.newMessageID(in: request.chatID)
            message = Message(
                messageID: messageID, date: clock() / 1_000_000, chat: SandboxBot.chat(request.chatID),
                from: method == "forwardMessage" ? original.from : bot.me, text: original.text)
            bot.record(method, message: message, fromChatID: request.fromChatID, arrivedUs: arrivedUs, atUs: clock())
        }
        return .success(message)
    }

    func setWebhook(bot id: Int64, _ request: SetWebhook) -> Result<Bool, Failure> {
        guard request.url.hasPrefix("https://") || request.url.hasPrefix("http://") else {
            return .failure(Failure(code: 400, description: "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"))
        }
        if let poll = pollWaiters.removeValue(forKey: id) { poll.continuation.resume(returning: .conflict(by: "setWebhook")) }
        let starts = bot(id).webhook == nil
        update(id) { bot in
            bot.webhook = request
            if request.dropPendingUpdates == true { bot.pending.removeAll() }
        }
        deliveryWaiters.removeValue(forKey: id)?.resume()
        if starts { Task { await self.runDelivery(bot: id) } }
        return .success(true)
    }

    func deleteWebhook(bot id: Int64, _ request: DeleteWebhook) -> Bool {
        update(id) { bot in
            bot.webhook = nil
            if request.dropPendingUpdates == true { bot.pending.removeAll() }
        }
        deliveryWaiters.removeValue(forKey: id)?.resume()
        return true
    }

    // MARK: Webhook delivery

    /// Delivers the bot's updates one at a time, oldest first, until its webhook is removed; a
    /// failed delivery is repeated with backoff, as Telegram does.
    private func runDelivery(bot id: Int64) async {
        var backoff = Duration.milliseconds(100)
        while let (update, webhook) = await nextDelivery(bot: id) {
            if await deliver(update, webhook) {
                delivered(bot: id, updateID: update.updateID)
                backoff = .milliseconds(100)
            } else {
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
    }

    /// The oldest pending update and where to send it; waits while there is none; `nil` once the
    /// webhook is removed.
    func nextDelivery(bot id: Int64) async -> (Update, SetWebhook)? {
        while true {
            let current = bot(id)
            guard let webhook = current.webhook else { return nil }
            if let first = current.pending.first { return (first, webhook) }
            await withCheckedContinuation { continuation in deliveryWaiters[id] = continuation }
        }
    }

    func delivered(bot id: Int64, updateID: Int64) {
        update(id) { bot in bot.pending.removeAll { $0.updateID == updateID } }
    }

    // MARK: Test controls

    /// Makes a user send `injected` to the bot; returns the update it becomes.
    public func inject(bot id: Int64, _ injected: InjectedMessage) -> Update {
        var result: Update!
        update(id) { bot in
            let messageID = bot.newMessageID(in: injected.chatID)
            let userID = injected.userID ?? injected.chatID
            let replied = injected.replyToMessageID.flatMap { bot.messages[.init(chat: injected.chatID, message: $0)] }
            let message = Message(
                messageID: messageID, date: clock() / 1_000_000, chat: SandboxBot.chat(injected.chatID),
                from: User(id: userID, isBot: false, firstName: injected.firstName ?? "User \(userID)"), text: injected.text,
                replyToMessage: replied.map(RepliedMessage.init))
            result = Update(updateID: bot.nextUpdateID, message: message)
            bot.enqueue(result)
        }
        wake(bot: id)
        return result
    }

    /// Queues an update exactly as given (a duplicate, an unusual kind).
    public func injectRaw(bot id: Int64, _ raw: Update) {
        update(id) { $0.enqueue(raw) }
        wake(bot: id)
    }

    private func wake(bot id: Int64) {
        pollWaiters.removeValue(forKey: id)?.continuation.resume(returning: .update)
        deliveryWaiters.removeValue(forKey: id)?.resume()
    }

    public func sent(bot id: Int64, chat: Int64?, after sequence: Int) -> [SentRecord] {
        bot(id).sent.filter { $0.sequence > sequence && (chat == nil || $0.chatID == chat) }
    }

    /// Notes a call and its answer.
    func logCall(bot id: Int64, _ method: String, chat: Int64?, arrivedUs: Int64, status: Int) {
        let answered = clock()
        update(id) { $0.log(method, chat: chat, arrivedUs: arrivedUs, answeredUs: answered, status: status) }
    }

    public func calls(bot id: Int64, method: String?, after sequence: Int) -> [CallRecord] {
        bot(id).callLog.filter { $0.sequence > sequence && (method == nil || $0.method == method) }
    }

    public func setChats(bot id: Int64, _ chats: SandboxChats) {
        update(id) { bot in
            if let blocked = chats.blocked { bot.blockedChats = Set(blocked) }
            if let missing = chats.missing { bot.missingChats = Set(missing) }
        }
    }

    public func addFault(bot id: Int64, _ fault: SandboxFault) {
        update(id) { $0.faults.append(fault) }
    }

    public func summary(bot id: Int64) -> SandboxBotSummary { bot(id).summary }

    public func summaries() -> [SandboxBotSummary] { bots.keys.sorted().map { bots[$0]!.summary } }

    /// Forgets a bot entirely.
    public func reset(bot id: Int64) {
        bots[id] = nil
        wake(bot: id)
    }
}
