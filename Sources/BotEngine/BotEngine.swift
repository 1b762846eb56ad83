import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem
import DequeModule
import HeapModule

/// One bot's pipeline: update → dedup → handoff routing or rapid-fire batcher → per-chat job
/// queue → handler → Bot API.
///
/// Two backends hold the state. In memory (the default) everything lives in this actor: a batch
/// is a value handed from the batcher to the job queue, and an update stays "in flight" — the
/// poller never confirms past it — until its job is answered or dead-lettered. With Redis
/// (``RedisBotState``) dedup, open batches, the job queue, retries, dead letters, idempotency
/// keys, handoff state and the offset live on the server: an update is safe once its intake
/// script ran, and a process that dies loses nothing — its successor takes the unfinished jobs
/// over and skips the steps they already made.
public actor BotEngine {
    let botID: String
    var settings: BotSettings
    let sender: OutgoingSender
    var handler: any BatchHandler
    let makeHandler: @Sendable (BotSettings.Handler) -> any BatchHandler
    let stats: BotStats
    let log: @Sendable (String) -> Void
    /// The Redis backend, or `nil` for memory.
    let durable: RedisBotState?

    // Memory backend.
    var dedup: DedupCache
    var batcher: RapidFireBatcher
    var offsets = OffsetTracker()
    /// The last chat and sender seen per chat with an open batch, for the handler's document.
    var senders: [Int64: (chat: Chat, user: User?)] = [:]
    /// Messages in the operator chat (forwards and notices) → the user chat they are about.
    var operatorThreads: [Int64: Int64] = [:]
    var operatorThreadOrder: Deque<Int64> = []
    var deadLetters: Deque<(entry: DeadLetterEntry, job: BotJob)> = []

    // Redis backend.
    /// Whether the state was read from Redis and updates may be taken.
    var durableReady = false
    /// One past the highest update id taken.
    var durableOffset: Int64?
    /// Open batches' local deadlines (the server decides; these only say when to ask).
    var batchDue: [Int64: MonotonicTime] = [:]
    var batchDueOrder = Heap<DueChat>()
    /// Chats whose head job waits in the retry set: their later jobs wait too.
    var parked: Set<Int64> = []
    /// Jobs taken from the stream and not yet finished.
    var jobsInHand = 0
    var consumer: Task<Void, Never>?
    var retryTimer: Task<Void, Never>?
    var retryDeadline: MonotonicTime?
    /// Redis calls failed in a row: an outage is logged when it starts and when it ends.
    var redisFailures = 0

    var handoffChats: Set<Int64> = []
    var queues: [Int64: Deque<BotJob>] = [:]
    var ready: Deque<Int64> = []
    var running: Set<Int64> = []
    var random = SystemRandomNumberGenerator()

    var timer: Task<Void, Never>?
    var timerDeadline: MonotonicTime?
    var draining = false
    var idleWaiters: [CheckedContinuation<Void, Never>] = []
    var progressWaiters: [CheckedContinuation<Void, Never>] = []

    static let keptDeadLetters = 1000
    static let keptOperatorThreads = 10_000
    /// Updates in flight beyond which webhook deliveries are refused with 503 (Telegram
    /// redelivers): memory stays bounded when a backend stalls.
    static let maximumInFlight = 50_000
    /// Jobs taken from the Redis stream and not finished beyond which no more are taken.
    static let maximumJobsInHand = 2000

    /// A chat's batch deadline in the Redis backend's heap.
    struct DueChat: Comparable {
        var at: MonotonicTime
        var chat: Int64
        static func < (lhs: DueChat, rhs: DueChat) -> Bool { lhs.at < rhs.at }
    }

    init(
        botID: String, settings: BotSettings, client: BotAPIClient, stats: BotStats, durable: RedisBotState? = nil,
        makeHandler: @escaping @Sendable (BotSettings.Handler) -> any BatchHandler, log: @escaping @Sendable (String) -> Void
    ) {
        self.botID = botID
        self.settings = settings
        self.stats = stats
        self.log = log
        self.durable = durable
        self.makeHandler = makeHandler
        self.handler = makeHandler(settings.handler)
        self.sender = OutgoingSender(client: client, rate: settings.rate, stats: stats)
        self.dedup = DedupCache(window: .milliseconds(settings.dedup.windowMs), maxEntries: settings.dedup.maxEntries)
        self.batcher = RapidFireBatcher(
            quiet: .milliseconds(settings.batch.quietMs), maxMessages: settings.batch.maxMessages,
            maxWait: .milliseconds(settings.batch.maxWaitMs))
    }

    /// The backend's name, as `botmaster dlq` reports it.
    var backendName: String { durable == nil ? "memory" : "redis" }

    // MARK: Intake

    /// Takes a poll's updates (`polled`) or webhook deliveries, in order; with Redis in one
    /// round trip.
    public func accept(_ updates: [Update], polled: Bool) async -> [UpdateAck.Result] {
        if let durable { return await acceptDurably(updates, polled: polled, store: durable) }
        var results: [UpdateAck.Result] = []
        for update in updates {
            // Nothing after a refused update is taken: the offset must not pass it.
            results.append(results.last == .busy ? .busy : acceptInMemory(update))
        }
        return results
    }

    private func acceptInMemory(_ update: Update) -> UpdateAck.Result {
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
        switch route(message, text: text, updateID: update.updateID, thread: { self.operatorThreads[$0] }) {
        case .ignore:
            offsets.finish(update.updateID)
            publishInFlight()
        case .job(let job, let change):
            applyHandoff(change, chat: job.chatID)
            enqueue(job)
        case .batch:
            // Only names for the handler's document; forgetting them all now and then bounds memory.
            if senders.count >= 50_000 { senders.removeAll(keepingCapacity: true) }
            senders[chat] = (message.chat, message.from)
            let incoming = IncomingMessage(
                updateID: update.updateID, chatID: chat, messageID: message.messageID, userID: message.from?.id, text: text)
            if let full = batcher.add(incoming, now: now) { enqueueBatch(full) }
            armTimer()
        }
        return .accepted
    }

    /// Where a text message goes.
    enum Route {
        /// Operators talking among themselves: nothing to do.
        case ignore
        case job(BotJob, handoff: RedisBotState.HandoffChange?)
        case batch
    }

    /// Handoff routing: the operator chat's replies go back to their user, a handed-off chat's
    /// messages go to the operator, the start and stop commands switch; the rest is batched.
    func route(_ message: Message, text: String, updateID: Int64, thread: (Int64) -> Int64?) -> Route {
        let chat = message.chat.id
        let handoff = settings.handoff
        guard let operatorChat = handoff.operatorChatID else { return .batch }
        if chat == operatorChat {
            guard let repliedTo = message.replyToMessage?.messageID, let userChat = thread(repliedTo) else { return .ignore }
            if Self.isCommand(text, handoff.stopCommand) {
                return .job(BotJob(chatID: userChat, kind: .handoffEnded, updateIDs: [updateID]), handoff: .end)
            }
            return .job(
                BotJob(
                    chatID: userChat, kind: .operatorReply, updateIDs: [updateID], messageID: message.messageID,
                    operatorChatID: message.chat.id), handoff: nil)
        }
        if handoffChats.contains(chat) {
            if Self.isCommand(text, handoff.stopCommand) {
                return .job(BotJob(chatID: chat, kind: .handoffEnded, updateIDs: [updateID]), handoff: .end)
            }
            return .job(BotJob(chatID: chat, kind: .forward, updateIDs: [updateID], messageID: message.messageID), handoff: nil)
        }
        if Self.isCommand(text, handoff.startCommand) {
            return .job(BotJob(chatID: chat, kind: .handoffStarted, updateIDs: [updateID]), handoff: .start)
        }
        return .batch
    }

    func applyHandoff(_ change: RedisBotState.HandoffChange?, chat: Int64) {
        switch change {
        case .start?: handoffChats.insert(chat)
        case .end?: handoffChats.remove(chat)
        case nil: return
        }
        stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed)
    }

    /// The offset the poller may confirm: nothing unfinished (memory) or nothing not yet kept
    /// in Redis lies below it.
    public var pollOffset: Int64? { durable == nil ? offsets.offset : durableOffset }

    /// Whether updates below the poll offset are still being worked on, so the poller must
    /// re-read (memory backend); with Redis everything taken is already safe.
    public var holdsUnconfirmedUpdates: Bool { durable == nil && offsets.count > 0 }

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

    func wakeProgress() {
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

    func publishInFlight() {
        stats.inFlight.store(UInt64(durable == nil ? offsets.count : jobsInHand), ordering: .relaxed)
    }

    func rememberOperatorThread(_ operatorMessageID: Int64, userChat: Int64) async throws {
        if let durable {
            try await durable.rememberThread(operatorMessageID: operatorMessageID, userChat: userChat)
            return
        }
        if operatorThreads.updateValue(userChat, forKey: operatorMessageID) == nil { operatorThreadOrder.append(operatorMessageID) }
        while operatorThreadOrder.count > Self.keptOperatorThreads, let oldest = operatorThreadOrder.popFirst() {
            operatorThreads[oldest] = nil
        }
    }

    // MARK: Batching (memory)

    func enqueueBatch(_ batch: MessageBatch) {
        BotStats.add(stats.batches)
        let who = senders[batch.chatID]
        let messages = batch.messages.map { message in
            JobMessage(
                updateID: message.updateID, messageID: message.messageID, text: message.text, userID: message.userID,
                firstName: who?.user?.firstName, username: who?.user?.username, chatType: who?.chat.type)
        }
        enqueue(BotJob(chatID: batch.chatID, kind: .batch, messages: messages))
    }

    /// Keeps one timer task armed for the earliest batch deadline.
    func armTimer() {
        let next = durable == nil ? batcher.nextDeadline() : batchDueOrder.min?.at
        guard let next else {
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

    private func flushDue() async {
        timer = nil
        timerDeadline = nil
        if durable != nil {
            await flushDueDurably()
        } else {
            for batch in batcher.due(now: .now()) { enqueueBatch(batch) }
        }
        armTimer()
    }

    // MARK: Live settings and drain

    /// Applies new settings without a restart: batching, dedup, rate, retry, handler, handoff.
    public func apply(_ new: BotSettings) async {
        let old = settings
        settings = new
        if old.batch != new.batch && durable == nil {
            batcher.quiet = .milliseconds(new.batch.quietMs)
            batcher.maxMessages = new.batch.maxMessages
            batcher.maxWait = .milliseconds(new.batch.maxWaitMs)
            // Open batches take the new deadlines at once.
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            await flushDue()
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

    /// Stops taking updates and waits for the work in hand. In memory every open batch is
    /// flushed and every job finished; with Redis open batches stay open (the next process
    /// flushes them when due) and only the jobs being worked on are finished.
    public func drain() async {
        draining = true
        timer?.cancel()
        timer = nil
        if durable != nil {
            consumer?.cancel()
            retryTimer?.cancel()
            guard !running.isEmpty else { return }
        } else {
            for batch in batcher.flushAll() { enqueueBatch(batch) }
            guard !(running.isEmpty && ready.isEmpty) else { return }
        }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    func wakeIdle() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
