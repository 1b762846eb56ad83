import BotmasterIPC
import BotmasterSystem
import DequeModule
import Synchronization

/// A bot's state in the worker's memory (`store = "memory"`): the same rules as the durable
/// stores, and nothing survives the process. A killed worker loses its open batches, queued
/// jobs and dead letters, and in polling mode the updates it had confirmed; status shows it as
/// not durable. For tests, benchmarks and bots whose messages may be lost.
package final class MemoryStore: BotStore {
    private let state = Mutex<State>(State())
    private let signal = WorkSignal()
    /// Broadcasts and known chats (``MemoryBroadcastBook``).
    let book = Mutex(MemoryBroadcastBook())

    private struct State {
        var seen: [String: Int64] = [:]
        var intakesSinceSweep = 0
        var offset: Int64?
        var batches: [Int64: OpenBatch] = [:]
        var nextJob = 1
        /// Every unfinished job in the queue, by id.
        var jobs: [Int: BotJob] = [:]
        /// Queued job ids not handed out yet, oldest first.
        var untaken: Deque<Int> = []
        var retries: [(dueMs: Int64, job: BotJob)] = []
        var nextLetter = 1
        var dead: Deque<(id: Int, document: DeadLetterDocument)> = []
        /// Sent steps of unfinished jobs, by job key.
        var sent: [String: Set<Int>] = [:]
        var handoff: Set<Int64> = []
        var threads: [Int64: Int64] = [:]
        var threadOrder: Deque<Int64> = []
    }

    private struct OpenBatch {
        var messages: [JobMessage]
        var firstMs: Int64
        var dueMs: Int64
    }

    static let keptThreads = 10_000

    package init() {}

    package var kind: BotSettings.Store { .memory }
    package var location: String { "memory (not durable)" }

    package func open() async throws(StoreError) -> StoreSnapshot {
        let now = WallClock.nowMilliseconds()
        return state.withLock { state in
            StoreSnapshot(
                handoffChats: state.handoff, offset: state.offset,
                openBatches: state.batches.map { ($0.key, .milliseconds(max($0.value.dueMs - now, 0))) })
        }
    }

    package func intake(_ items: [IntakeItem]) async throws(StoreError) -> [Result<IntakeOutcome, StoreError>] {
        let now = WallClock.nowMilliseconds()
        let (outcomes, queued) = state.withLock { state in
            var queued = false
            let outcomes = items.map { item -> Result<IntakeOutcome, StoreError> in
                let outcome = Self.take(item, nowMs: now, into: &state)
                if outcome == .queued { queued = true }
                return .success(outcome)
            }
            state.intakesSinceSweep += items.count
            if state.intakesSinceSweep >= 10_000 {
                state.intakesSinceSweep = 0
                state.seen = state.seen.filter { $0.value > now }
            }
            return (outcomes, queued)
        }
        if queued { signal.notify() }
        let chats = zip(items, outcomes).compactMap { item, outcome in
            item.updateID != nil && (try? outcome.get()) != .duplicate ? item.chatID : nil
        }
        if !chats.isEmpty { book.withLock { book in for chat in chats { book.knownChats[chat] = false } } }
        return outcomes
    }

    private static func take(_ item: IntakeItem, nowMs now: Int64, into state: inout State) -> IntakeOutcome {
        let marks = IntakeRules.dedupMarks(of: item)
        if marks.contains(where: { (state.seen[$0] ?? 0) > now }) {
            state.offset = IntakeRules.offset(after: item, stored: state.offset)
            return .duplicate
        }
        let outcome: IntakeOutcome
        switch item.action {
        case .none:
            outcome = .noted
        case .job(let job, let change):
            enqueue(job, into: &state)
            switch change {
            case .start?: state.handoff.insert(job.chatID)
            case .end?: state.handoff.remove(job.chatID)
            case nil: break
            }
            outcome = .queued
        case .batch(let message, let settings):
            let open = state.batches[item.chatID]
            switch IntakeRules.batchStep(openCount: open?.messages.count ?? 0, firstMs: open?.firstMs, nowMs: now, settings: settings) {
            case .alone:
                enqueue(IntakeRules.batchJob(chat: item.chatID, messages: [message]), into: &state)
                outcome = .queued
            case .appendAndTake:
                let messages = (open?.messages ?? []) + [message]
                state.batches[item.chatID] = nil
                enqueue(IntakeRules.batchJob(chat: item.chatID, messages: messages), into: &state)
                outcome = .queued
            case .append(let due):
                state.batches[item.chatID] = OpenBatch(
                    messages: (open?.messages ?? []) + [message], firstMs: open?.firstMs ?? now, dueMs: due)
                outcome = .batched(dueIn: .milliseconds(max(due - now, 0)))
            }
        }
        for mark in marks { state.seen[mark] = now + Int64(item.dedupWindowMs) }
        state.offset = IntakeRules.offset(after: item, stored: state.offset)
        return outcome
    }

    private static func enqueue(_ job: BotJob, into state: inout State) {
        let id = state.nextJob
        state.nextJob += 1
        var job = job
        job.storeID = "\(id)"
        state.jobs[id] = job
        state.untaken.append(id)
    }

    package func flush(chatIDs: [Int64], force: Bool) async throws(StoreError) -> [Result<FlushOutcome, StoreError>] {
        let now = WallClock.nowMilliseconds()
        let outcomes = state.withLock { state in
            chatIDs.map { chat -> Result<FlushOutcome, StoreError> in
                guard let open = state.batches[chat] else { return .success(.gone) }
                if open.dueMs > now && !force { return .success(.later(.milliseconds(open.dueMs - now))) }
                state.batches[chat] = nil
                Self.enqueue(IntakeRules.batchJob(chat: chat, messages: open.messages), into: &state)
                return .success(.flushed)
            }
        }
        if outcomes.contains(where: { (try? $0.get()) == .flushed }) { signal.notify() }
        return outcomes
    }

    /// Nothing outlives a process, so no predecessor left anything unfinished.
    package func takeUnfinished(after: String, count: Int) async throws(StoreError) -> [BotJob] { [] }

    package func take(count: Int, wait: Duration) async throws(StoreError) -> [BotJob] {
        let seen = signal.generation
        let taken = takeQueued(count)
        if !taken.isEmpty || wait <= .zero { return taken }
        await signal.wait(after: seen, upTo: wait)
        return takeQueued(count)
    }

    private func takeQueued(_ count: Int) -> [BotJob] {
        state.withLock { state in
            var jobs: [BotJob] = []
            while jobs.count < count, let id = state.untaken.popFirst() {
                if let job = state.jobs[id] { jobs.append(job) }
            }
            return jobs
        }
    }

    package func recordSteps(of job: BotJob) async throws(StoreError) {
        guard !job.unrecordedSteps.isEmpty else { return }
        state.withLock { $0.sent[job.key, default: []].formUnion(job.unrecordedSteps.map(\.step)) }
    }

    package func stepsDone(of job: BotJob) async throws(StoreError) -> Set<Int> {
        state.withLock { $0.sent[job.key] ?? [] }
    }

    package func finish(_ job: BotJob) async throws(StoreError) {
        state.withLock { state in
            if let id = job.storeID.flatMap({ Int($0) }) { state.jobs[id] = nil }
            state.sent[job.key] = nil
        }
    }

    package func scheduleRetry(_ job: BotJob, delay: Duration) async throws(StoreError) {
        let due = WallClock.nowMilliseconds() + delay.millisecondsClamped
        state.withLock { state in
            if let id = job.storeID.flatMap({ Int($0) }) { state.jobs[id] = nil }
            state.sent[job.key] = nil
            var waiting = job
            waiting.storeID = nil
            waiting.unrecordedSteps = []
            state.retries.append((due, waiting))
            state.retries.sort { $0.dueMs < $1.dueMs }
        }
    }

    package func promoteDueRetries() async throws(StoreError) -> Duration? {
        let now = WallClock.nowMilliseconds()
        let (moved, next) = state.withLock { state -> (Bool, Int64?) in
            var moved = false
            while let first = state.retries.first, first.dueMs <= now {
                state.retries.removeFirst()
                Self.enqueue(first.job, into: &state)
                moved = true
            }
            return (moved, state.retries.first.map { max($0.dueMs - now, 0) })
        }
        if moved { signal.notify() }
        return next.map { .milliseconds($0) }
    }

    package func deadLetter(_ job: BotJob, entry: DeadLetterEntry) async throws(StoreError) {
        state.withLock { state in
            if let id = job.storeID.flatMap({ Int($0) }) { state.jobs[id] = nil }
            state.sent[job.key] = nil
            var kept = job
            kept.storeID = nil
            kept.unrecordedSteps = []
            state.dead.append((state.nextLetter, DeadLetterDocument(entry: entry, job: kept)))
            state.nextLetter += 1
            while state.dead.count > StoreLimits.keptDeadLetters { state.dead.removeFirst() }
        }
    }

    package func deadLetters() async throws(StoreError) -> [StoredDeadLetter] {
        state.withLock { state in
            state.dead.map { StoredDeadLetter(handle: Array("\($0.id)".utf8), entry: $0.document.entry, job: $0.document.job) }
        }
    }

    package func requeue(_ letter: StoredDeadLetter) async throws(StoreError) -> Bool {
        let requeued = state.withLock { state in
            guard let index = state.dead.firstIndex(where: { Array("\($0.id)".utf8) == letter.handle }) else { return false }
            let document = state.dead.remove(at: index).document
            Self.enqueue(document.job.freshAttempt, into: &state)
            return true
        }
        if requeued { signal.notify() }
        return requeued
    }

    package func purgeDeadLetters() async throws(StoreError) -> Int {
        state.withLock { state in
            defer { state.dead.removeAll() }
            return state.dead.count
        }
    }

    package func rememberThread(operatorMessageID: Int64, userChat: Int64) async throws(StoreError) {
        state.withLock { state in
            if state.threads.updateValue(userChat, forKey: operatorMessageID) == nil { state.threadOrder.append(operatorMessageID) }
            while state.threadOrder.count > Self.keptThreads, let oldest = state.threadOrder.popFirst() {
                state.threads[oldest] = nil
            }
        }
    }

    package func thread(operatorMessageID: Int64) async throws(StoreError) -> Int64? {
        state.withLock { $0.threads[operatorMessageID] }
    }

    package func close() async { signal.notify() }
}
