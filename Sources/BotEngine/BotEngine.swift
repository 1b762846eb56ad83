import BotAPI
import BotRuntime
import BotmasterIPC
import BotmasterSystem
import DequeModule
import HeapModule
import Logging

/// One bot's pipeline: update → dedup → handoff routing or rapid-fire batcher → per-chat job
/// queue → handler → Bot API.
///
/// Everything that must outlive a step lives in the bot's store (``BotStore``): an update is
/// taken once its intake step ran there (dedup, batch or job, offset, atomically), open batches
/// are flushed into jobs by the store, and jobs are taken from the store's queue, acknowledged
/// there when done, moved to its retry schedule or dead letters when they fail. The engine
/// keeps only what it is working on, and asks the store nothing about which store it is: a
/// process that dies loses what its store loses (nothing, for SQLite and Redis), and its
/// successor takes the unfinished jobs over, skipping the steps they already made.
public actor BotEngine {
    let botID: String
    var settings: BotSettings
    let sender: OutgoingSender
    var handler: any BatchHandler
    let makeHandler: @Sendable (BotSettings.Handler) -> any BatchHandler
    let stats: BotStats
    let logger: Logger
    let store: any BotStore
    /// Sends the bot's broadcasts once the store is open.
    let broadcasts: BroadcastRunner

    /// Whether the state was read from the store and updates may be taken.
    var storeReady = false
    /// One past the highest update id taken: what the poller confirms.
    var offset: Int64?
    /// Open batches' local deadlines (the store decides; these only say when to ask).
    var batchDue: [Int64: MonotonicTime] = [:]
    var batchDueOrder = Heap<DueChat>()
    /// Chats whose head job waits in the retry schedule: their later jobs wait too.
    var parked: Set<Int64> = []
    /// Jobs taken from the store and not yet finished.
    var jobsInHand = 0
    var consumer: Task<Void, Never>?
    var retryTimer: Task<Void, Never>?
    var retryDeadline: MonotonicTime?
    /// Store calls failed in a row: an outage is logged when it starts and when it ends.
    var storeFailures = 0

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

    /// Jobs in hand beyond which webhook deliveries are refused with 503 (Telegram
    /// redelivers) and polled updates wait: memory stays bounded when handlers stall.
    static let maximumInFlight = 50_000
    /// Jobs taken from the store and not finished beyond which no more are taken.
    static let maximumJobsInHand = 2000

    /// A chat's batch deadline in the heap.
    struct DueChat: Comparable {
        var at: MonotonicTime
        var chat: Int64
        static func < (lhs: DueChat, rhs: DueChat) -> Bool { lhs.at < rhs.at }
    }

    /// - Parameters:
    ///   - store: where the bot's state lives; the engine opens it in ``start()``.
    ///   - logger: the worker's logger; the engine adds the bot id as metadata.
    package init(
        botID: String, settings: BotSettings, client: BotAPIClient, stats: BotStats, store: any BotStore,
        makeHandler: @escaping @Sendable (BotSettings.Handler) -> any BatchHandler, logger: Logger
    ) {
        self.botID = botID
        self.settings = settings
        self.stats = stats
        var logger = logger
        logger[metadataKey: "bot"] = "\(botID)"
        self.logger = logger
        self.store = store
        self.makeHandler = makeHandler
        self.handler = makeHandler(settings.handler)
        let sender = OutgoingSender(client: client, rate: settings.rate, stats: stats)
        self.sender = sender
        self.broadcasts = BroadcastRunner(store: store, sender: sender, stats: stats, retry: settings.retry, logger: self.logger)
    }

    // MARK: Intake

    /// Where a text message goes.
    enum Route {
        /// Operators talking among themselves: nothing to do.
        case ignore
        case job(BotJob, handoff: HandoffChange?)
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

    func applyHandoff(_ change: HandoffChange?, chat: Int64) {
        switch change {
        case .start?: handoffChats.insert(chat)
        case .end?: handoffChats.remove(chat)
        case nil: return
        }
        stats.handoffs.store(UInt64(handoffChats.count), ordering: .relaxed)
    }

    /// The offset the poller may confirm: every update below it is kept in the store.
    public var pollOffset: Int64? { offset }

    /// Waits until some job finishes (or `limit` passes).
    func waitForProgress(limit: Duration) async {
        let task = Task.placed {
            // Cancelled: progress woke this waiter; waking the others again would only spin them.
            do { try await TaskPlacement.sleep(for: limit) } catch { return }
            await self.wakeProgress()
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

    /// In flight: jobs being worked on, plus chats with an open batch.
    func publishInFlight() {
        stats.inFlight.store(UInt64(jobsInHand + batchDue.count), ordering: .relaxed)
    }

    // MARK: Batch deadlines

    /// Keeps one timer task armed for the earliest batch deadline.
    func armTimer() {
        guard let next = batchDueOrder.min?.at, !draining else {
            timer?.cancel()
            timer = nil
            timerDeadline = nil
            return
        }
        if let armed = timerDeadline, armed <= next, timer != nil { return }
        timer?.cancel()
        timerDeadline = next
        timer = Task.placed { [weak self] in
            let wait = next - .now()
            if wait > .zero {
                do { try await TaskPlacement.sleep(for: wait) } catch { return }
            }
            await self?.flushDue()
        }
    }

    private func flushDue() async {
        timer = nil
        timerDeadline = nil
        await flushDueBatches()
        armTimer()
    }

    // MARK: Live settings and drain

    /// Applies new settings without a restart: batching (from the next message on), dedup,
    /// rate, retry, handler, handoff.
    public func apply(_ new: BotSettings) async {
        let old = settings
        settings = new
        if old.rate != new.rate { await sender.reconfigure(new.rate) }
        if old.handler != new.handler { handler = makeHandler(new.handler) }
        if old.retry != new.retry { await broadcasts.apply(retry: new.retry) }
        pump()
        logger.info("settings applied live")
    }

    /// Stops taking updates, takes every open batch into a job, and works the queue empty:
    /// a stopped fleet leaves nothing unanswered behind. The master's stop timeout bounds it;
    /// whatever is left then stays in the store for the next process.
    public func drain() async {
        guard !draining else { return }
        draining = true
        timer?.cancel()
        timer = nil
        retryTimer?.cancel()
        // A broadcast stops at once (its in-flight sends recorded) and resumes in the next
        // process; the replies in hand are worked off first.
        let broadcasts = broadcasts
        let broadcastsStopped = Task.placed { await broadcasts.drain() }
        if storeReady {
            await flushDueBatches(force: true)
            await withCheckedContinuation { idleWaiters.append($0) }
        }
        await broadcastsStopped.value
        consumer?.cancel()
    }

    func wakeIdle() {
        let waiters = idleWaiters
        idleWaiters.removeAll()
        waiters.forEach { $0.resume() }
    }
}
