import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem
import DequeModule

/// One bot's pipeline: update → dedup → handoff routing or rapid-fire batcher → per-chat job
/// queue → handler → Bot API.
///
/// Everything lives in this one actor and in this one process, so there is no shared state
/// between processes to race on, and a batch is a value handed from the batcher to the job
/// queue: it cannot expire under the job that works on it (seed 002's failures). An update
/// stays "in flight" from the moment it is accepted until its job is answered or
/// dead-lettered; the poller never confirms past it.
public actor BotEngine {
    let botID: String
    private(set) var settings: BotSettings
    private let sender: OutgoingSender
    private var handler: any BatchHandler
    private let makeHandler: @Sendable (BotSettings.Handler) -> any BatchHandler
    let stats: BotStats
    private let log: @Sendable (String) -> Void

    private var dedup: DedupCache
    private var batcher: RapidFireBatcher
    private var offsets = OffsetTracker()
    /// The last chat and sender seen per chat with an open batch, for the handler's document.
    private var senders: [Int64: (chat: Chat, user: User?)] = [:]

    private var handoffChats: Set<Int64> = []
    /// Messages in the operator chat (forwards and notices) → the user chat they are about.
    private var operatorThreads: [Int64: Int64] = [:]
    private var operatorThreadOrder: Deque<Int64> = []

    private var queues: [Int64: Deque<BotJob>] = [:]
    private var ready: Deque<Int64> = []
    private var running: Set<Int64> = []
    private var deadLetters: Deque<DeadLetter> = []
    private var random = SystemRandomNumberGenerator()

    private var timer: Task<Void, Never>?
    private var timerDeadline: MonotonicTime?
    private var draining = false
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var progressWaiters: [CheckedContinuation<Void, Never>] = []

    static let keptDeadLetters = 1000
    static let keptOperatorThreads = 10_000
    /// Updates in flight beyond which webhook deliveries are refused with 503 (Telegram
    /// redelivers): memory stays bounded when a backend stalls.
    static let maximumInFlight = 50_000

    init(
        botID: String, settings: BotSettings, client: BotAPIClient, stats: BotStats,
        makeHandler: @escaping @Sendable (BotSettings.Handler) -> any BatchHandler, log: @escaping @Sendable (String) -> Void
    ) {
        self.botID = botID
        self.settings = settings
        self.stats = stats
        self.log = log
        self.makeHandler = makeHandler
        self.handler = makeHandler(settings.handler)
        self.sender = OutgoingSender(client: client, rate: settings.rate, stats: stats)
        self.dedup = DedupCache(window: .milliseconds(settings.dedup.windowMs), maxEntries: settings.dedup.maxEntries)
        self.batcher = RapidFireBatcher(
            quiet: .milliseconds(settings.batch.quietMs), maxMessages: settings.batch.maxMessages,
            maxWait: .milliseconds(settings.batch.maxWaitMs))
    }

    // MARK: Intake

    /// Takes one update from the poller or a webhook delivery.
    public func accept(_ update: Update) -> UpdateAck.Result {
        if offsets.isInFlight(update.updateID) { return .duplicate }  // a poll re-read of work in hand
        BotStats.add(stats.received)
        let now = MonotonicTime.now()
        guard let message = update.message, let text = message.text else {
            // Not a new text message (an edit, a photo, another kind): nothing to answer, but it
            // counts as seen so the offset moves past it.
            finishAtOnce(update.updateID)
            return .accepted
        }
        // Refused before dedup sees it: a refused update comes again and must not then count
        // as a duplicate of itself.
        guard !draining, offsets.count < Self.maximumInFlight else { return .busy }
        if dedup.isDuplicate(updateID: update.updateID, chatID: message.chat.id, messageID: message.messageID, now: now) {
            BotStats.add(stats.duplicates)
            finishAtOnce(update.updateID)
            return .duplicate
        }
        offsets.begin(update.updateID)
        publishInFlight()
        let chat = message.chat.id
        let handoff = settings.handoff
        if let operatorChat = handoff.operatorChatID {
            if chat == operatorChat {
                routeOperatorMessage(message, text: text, updateID: update.updateID)
                return .accepted
            }
            if handoffChats.contains(chat) {
                if Self.isCommand(text, handoff.stopCommand) {
                    endHandoff(chat, updateIDs: [update.updateID])
                } else {
                    enqueue(BotJob(chatID: chat, kind: .forward(messageID: message.messageID), updateIDs: [update.updateID]))
                }
                return .accepted
            }
            if Self.isCommand(text, handoff.startCommand) {
                startHandoff(chat, updateIDs: [update.updateID])
                return .accepted
            }
        }
        // Only names for the handler's document; forgetting them all now and then bounds memory.
        if senders.count >= 50_000 { senders.removeAll(keepingCapacity: true) }
        senders[chat] = (message.chat, message.from)
        let incoming = IncomingMessage(
            updateID: update.updateID, chatID: chat, messageID: message.messageID, userID: message.from?.id, text: text)
        if let full = batcher.add(incoming, now: now) { enqueueBatch(full) }
        armTimer()
        return .accepted
    }

    /// The offset the poller may confirm: nothing unfinished lies below it.
    public var pollOffset: Int64? { offsets.offset }

    /// Waits until some update finishes (or `limit` passes): the poller's pause while it has
    /// only re-reads of work in hand.
    public func waitForProgress(limit: Duration) async {
        let task = Task {
            try? await Task.sleep(for: limit)
            self.wakeProgress()
        }
        await withCheckedContinuation { progressWaiters.append($0) }
        task.cancel()
    }

    private func wakeProgress() {
        let waiters = progressWaiters
        progressWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }

    static func isCommand(_ text: String, _ command: String) -> Bool {
        let word = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
        return word == command || word.hasPrefix(command + "@")
    }

    private func finishAtOnce(_ updateID: Int64) {
        offsets.begin(updateID)
        offsets.finish(updateID)
    }

    private func publishInFlight() {
        stats.inFlight.store(UInt64(offsets.count), ordering: .relaxed)
    }

    // MARK: Handoff

    private func startHandoff(_ chat: Int64, updateIDs: [Int64]) {
        if handoffChats.insert(chat).inserted { stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed) }
        enqueue(BotJob(chatID: chat, kind: .handoffStarted, updateIDs: updateIDs))
    }

    private func endHandoff(_ chat: Int64, updateIDs: [Int64]) {
        if handoffChats.remove(chat) != nil { stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed) }
        enqueue(BotJob(chatID: chat, kind: .handoffEnded, updateIDs: updateIDs))
    }

    /// A message in the operator chat: a reply to one of our forwards or notices goes back to
    /// that user (or ends the handoff); anything else is the operators talking among themselves.
    private func routeOperatorMessage(_ message: Message, text: String, updateID: Int64) {
        guard let repliedTo = message.replyToMessage?.messageID, let userChat = operatorThreads[repliedTo] else {
            offsets.finish(updateID)
            publishInFlight()
            return
        }
        if Self.isCommand(text, settings.handoff.stopCommand) {
            endHandoff(userChat, updateIDs: [updateID])
        } else {
            enqueue(
                BotJob(
                    chatID: userChat, kind: .operatorReply(operatorChatID: message.chat.id, messageID: message.messageID),
                    updateIDs: [updateID]))
        }
    }

    private func rememberOperatorThread(_ operatorMessageID: Int64, userChat: Int64) {
        if operatorThreads.updateValue(userChat, forKey: operatorMessageID) == nil { operatorThreadOrder.append(operatorMessageID) }
        while operatorThreadOrder.count > Self.keptOperatorThreads, let oldest = operatorThreadOrder.popFirst() {
            operatorThreads[oldest] = nil
        }
    }

    // MARK: Batching

    private func enqueueBatch(_ batch: MessageBatch) {
        BotStats.add(stats.batches)
        enqueue(BotJob(chatID: batch.chatID, kind: .batch(batch), updateIDs: batch.updateIDs))
    }

    /// Keeps one timer task armed for the batcher's earliest deadline.
    private func armTimer() {
        guard let next = batcher.nextDeadline() else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let armed = timerDeadline, armed <= next, timer != nil { return }
        timer?.cancel()
        timerDeadline = next
        timer = Task { [weak self] in
            let wait = next - .now()
            if wait > .zero {
                do { try await Task.sleep(for: wait) } catch { return }
            }
            await self?.flushDue()
        }
    }

    private func flushDue() {
        timer = nil
        timerDeadline = nil
        for batch in batcher.due(now: .now()) { enqueueBatch(batch) }
        armTimer()
    }

    // MARK: Job queue

    private func enqueue(_ job: BotJob) {
        queues[job.chatID, default: []].append(job)
        if !running.contains(job.chatID) && queues[job.chatID]!.count == 1 { ready.append(job.chatID) }
        pump()
    }

    /// Starts chat runners while fewer than `concurrency` chats are being worked on.
    private func pump() {
        while running.count < max(settings.handler.concurrency, 1), let chat = ready.popFirst() {
            running.insert(chat)
            Task { await self.runChat(chat) }
        }
    }

    /// Works through one chat's queue in order, then lets another chat have the slot.
    private func runChat(_ chat: Int64) async {
        runner: while var job = queues[chat]?.first {
            let outcome = await execute(&job)
            switch outcome {
            case .done:
                BotStats.add(stats.jobsSucceeded)
            case .failed(let reason):
                BotStats.add(stats.jobFailures)
                job.failures += 1
                queues[chat]?[0] = job
                let backoff = RetryBackoff(
                    baseDelay: .milliseconds(settings.retry.baseDelayMs), maxDelay: .milliseconds(settings.retry.maxDelayMs),
                    maxAttempts: settings.retry.maxAttempts)
                if let delay = backoff.delay(beforeAttempt: job.failures + 1, using: &random) {
                    if draining {
                        // Left unfinished on purpose: its updates stay unconfirmed, so the next
                        // process reads them again instead of this one waiting out the backoff.
                        log("bot \(botID): \(job.kindName) job \(job.key) failed while draining: \(reason); left for the next process")
                        break runner
                    }
                    log("bot \(botID): \(job.kindName) job \(job.key) failed (attempt \(job.failures)): \(reason); retrying in \(delay)")
                    try? await Task.sleep(for: delay)
                    continue
                }
                deadLetter(job, reason: reason)
            }
            queues[chat]?.removeFirst()
            for id in job.updateIDs { offsets.finish(id) }
            publishInFlight()
            wakeProgress()
        }
        if queues[chat]?.isEmpty == true { queues[chat] = nil }
        running.remove(chat)
        pump()
        if running.isEmpty && (ready.isEmpty || draining && queues.values.allSatisfy { $0.isEmpty }) { wakeIdle() }
    }

    private enum Outcome {
        case done
        case failed(String)
    }

    private func execute(_ job: inout BotJob) async -> Outcome {
        do {
            switch job.kind {
            case .batch(let batch):
                if handoffChats.contains(job.chatID), let operatorChat = settings.handoff.operatorChatID {
                    // Handed off after these messages were batched: they go to the operator too.
                    for message in batch.messages { try await forward(message.messageID, from: job.chatID, to: operatorChat) }
                    return .done
                }
                try await runHandler(&job, batch: batch)
            case .forward(let messageID):
                guard let operatorChat = settings.handoff.operatorChatID else { return .done }
                try await forward(messageID, from: job.chatID, to: operatorChat)
            case .operatorReply(let operatorChat, let messageID):
                let transfer = MessageTransfer(chatID: job.chatID, fromChatID: operatorChat, messageID: messageID)
                _ = try await sender.perform(chatID: job.chatID) { client throws(BotAPIError) in try await client.copyMessage(transfer) }
            case .handoffStarted:
                try await notify(
                    job.chatID, "You are now talking to an operator. Send \(settings.handoff.stopCommand) to return to the bot.")
                if let operatorChat = settings.handoff.operatorChatID {
                    let notice = SendMessage(
                        chatID: operatorChat,
                        text:
                            "Chat \(job.chatID) asked for an operator. Reply to its forwarded messages to answer; reply \(settings.handoff.stopCommand) to hand it back."
                    )
                    let sent = try await sender.perform(chatID: operatorChat) { client throws(BotAPIError) in
                        try await client.sendMessage(notice)
                    }
                    rememberOperatorThread(sent.messageID, userChat: job.chatID)
                }
            case .handoffEnded:
                try await notify(job.chatID, "You are back with the bot.")
            }
            return .done
        } catch {
            return .failed("\(error)")
        }
    }

    private func runHandler(_ job: inout BotJob, batch: MessageBatch) async throws {
        let reply: HandlerReply
        if let cached = job.reply {
            reply = cached
        } else {
            let who = senders[job.chatID]
            let request = HandlerRequest(
                bot: botID, chat: .init(id: job.chatID, type: who?.chat.type ?? "private"),
                user: who?.user.map { .init(id: $0.id, firstName: $0.firstName, username: $0.username) }, text: batch.mergedText,
                messages: batch.messages.map { .init(updateID: $0.updateID, messageID: $0.messageID, text: $0.text) })
            reply = try await handler.handle(request)
            job.reply = reply
        }
        if !job.replySent, let text = reply.reply, !text.isEmpty {
            let message = SendMessage(
                chatID: job.chatID, text: String(text.prefix(4096)),
                replyParameters: batch.messages.count == 1 ? ReplyParameters(messageID: batch.messages[0].messageID) : nil)
            _ = try await sender.perform(chatID: job.chatID) { client throws(BotAPIError) in try await client.sendMessage(message) }
            job.replySent = true
        }
        if reply.handoff == true, settings.handoff.operatorChatID != nil, !handoffChats.contains(job.chatID) {
            startHandoff(job.chatID, updateIDs: [])
        }
    }

    private func forward(_ messageID: Int64, from chat: Int64, to operatorChat: Int64) async throws {
        let transfer = MessageTransfer(chatID: operatorChat, fromChatID: chat, messageID: messageID)
        let forwarded = try await sender.perform(chatID: operatorChat) { client throws(BotAPIError) in
            try await client.forwardMessage(transfer)
        }
        rememberOperatorThread(forwarded.messageID, userChat: chat)
    }

    private func notify(_ chat: Int64, _ text: String) async throws {
        let message = SendMessage(chatID: chat, text: text)
        _ = try await sender.perform(chatID: chat) { client throws(BotAPIError) in try await client.sendMessage(message) }
    }

    private func deadLetter(_ job: BotJob, reason: String) {
        BotStats.add(stats.deadLettered)
        log("bot \(botID): \(job.kindName) job \(job.key) dead-lettered after \(job.failures) attempts: \(reason)")
        deadLetters.append(
            DeadLetter(
                key: job.key, chatID: job.chatID, kind: job.kindName, updateIDs: job.updateIDs, attempts: job.failures,
                lastError: reason, atMs: WallClock.nowMilliseconds()))
        if deadLetters.count > Self.keptDeadLetters { deadLetters.removeFirst() }
    }

    /// The dead-letter list, oldest first.
    public var deadLetterList: [DeadLetter] { Array(deadLetters) }

    // MARK: Live settings and drain

    /// Applies new settings without a restart: batching, dedup, rate, retry, handler, handoff.
    public func apply(_ new: BotSettings) async {
        let old = settings
        settings = new
        if old.batch != new.batch {
            batcher.quiet = .milliseconds(new.batch.quietMs)
            batcher.maxMessages = new.batch.maxMessages
            batcher.maxWait = .milliseconds(new.batch.maxWaitMs)
            // Open batches take the new deadlines at once.
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            flushDue()
        }
        if old.dedup != new.dedup {
            dedup.window = .milliseconds(new.dedup.windowMs)
            dedup.maxEntries = new.dedup.maxEntries
        }
        if old.rate != new.rate { await sender.reconfigure(new.rate) }
        if old.handler != new.handler { handler = makeHandler(new.handler) }
        pump()
        log("bot \(botID): settings applied live")
    }

    /// Stops taking updates, flushes every open batch and waits until every job is over.
    public func drain() async {
        draining = true
        timer?.cancel()
        timer = nil
        for batch in batcher.flushAll() { enqueueBatch(batch) }
        guard !(running.isEmpty && ready.isEmpty) else { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    private func wakeIdle() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
