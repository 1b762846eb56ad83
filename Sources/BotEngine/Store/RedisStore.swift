import BotRedis
import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One bot's state on a Redis server (`store = "redis"`, or `REDIS_URL` set). Each method is one
/// round trip (commands of concurrent callers share round trips, see ``RedisClient``); every
/// multi-key step is one Lua script (``RedisScripts``), keys in ``RedisKeys``.
package final class RedisStore: BotStore {
    package let keys: RedisKeys
    /// Everything but the blocking read.
    package let client: RedisClient
    /// The blocking `XREADGROUP` only: a blocked read holds its connection.
    private let reader: RedisClient
    /// Cluster mode: the blocking read of the deliveries other masters relayed
    /// (`RedisStore+RelayedWebhooks.swift`); `nil` outside cluster mode, where nobody relays.
    let relayReader: RedisClient?
    /// Cluster mode: the fencing epoch this worker was started with, which every step that
    /// changes the bot's state checks in its script; `nil` outside cluster mode.
    package let epoch: Int64?
    /// Called when a step was refused because another master owns the bot now; the worker
    /// stops at once (botworker exits), so nothing else it does can count.
    private let onFencingRefusal: @Sendable (String) -> Void

    package init(
        url: RedisURL, fleet: String, bot: String, epoch: Int64? = nil, onFencingRefusal: @escaping @Sendable (String) -> Void = { _ in }
    ) {
        keys = RedisKeys(fleet: fleet, bot: bot)
        client = RedisClient(url: url)
        reader = RedisClient(url: url, timeout: .seconds(3))
        relayReader = epoch == nil ? nil : RedisClient(url: url, timeout: .seconds(3))
        self.epoch = epoch
        self.onFencingRefusal = onFencingRefusal
    }

    /// The last two arguments of every fenced script: the epoch key and this worker's epoch.
    var fenceArguments: [[UInt8]] {
        guard let epoch else { return [[], []] }
        return [bytes(keys.epoch), bytes("\(epoch)")]
    }

    package var kind: BotSettings.Store { .redis }
    package var location: String { "Redis \(keys.prefix)*" }

    /// Round trips made by both clients, for the benchmark's round trips per job.
    package var roundTrips: UInt64 { client.roundTrips + reader.roundTrips }

    package func close() async {
        await client.shutdown()
        await reader.shutdown()
        await relayReader?.shutdown()
    }

    /// ``close()`` for synchronous clean-up.
    package func syncShutdown() {
        client.syncShutdown()
        reader.syncShutdown()
        relayReader?.syncShutdown()
    }

    // MARK: Start

    /// Creates the stream's group if missing and reads the state a new process starts from.
    package func open() async throws(StoreError) -> StoreSnapshot {
        try await mapped { () throws(RedisError) in
            try await RedisJobQueue(client: client, key: keys.jobs, group: RedisKeys.group).prepare()
            let replies = try await client.pipeline([
                command("SMEMBERS", keys.handoff),
                command("GET", keys.offset),
            ])
            let handoff = Set((try replies[0].get().array ?? []).compactMap { $0.string.flatMap { Int64($0) } })
            let offset = try replies[1].get().string.flatMap { Int64($0) }
            let open = try await RedisScripts.openBatches.run(on: client, arguments: [bytes(keys.prefix)])
            var batches: [(chat: Int64, dueIn: Duration)] = []
            let flat = open.array ?? []
            for index in stride(from: 0, to: flat.count - 1, by: 2) {
                if let chat = flat[index].string.flatMap({ Int64($0) }), let due = flat[index + 1].integer {
                    batches.append((chat, .milliseconds(due)))
                }
            }
            var snapshot = StoreSnapshot(
                handoffChats: handoff, offset: offset, openBatches: batches, nextRetry: try await promoteRetries())
            snapshot.chatsAwaitingRetry = try await chatsAwaitingRetry()
            return snapshot
        }
    }

    /// Chats of the jobs in the retry set and of retried jobs back in the stream, read after
    /// the due retries moved: a new process must keep each such chat's other jobs behind them.
    private func chatsAwaitingRetry() async throws(RedisError) -> Set<Int64> {
        var chats: Set<Int64> = []
        for value in try await client.command("ZRANGE", keys.retry, "0", "-1").array ?? [] {
            if case .bulk(let document) = value, let chat = BotJob.chatOfRetry(document, scheduled: true) { chats.insert(chat) }
        }
        var start = "-"
        while true {
            let page = try await client.command("XRANGE", keys.jobs, start, "+", "COUNT", "1000").array ?? []
            for entry in page {
                guard let parts = entry.array, parts.count == 2, let fields = parts[1].array, fields.count >= 2,
                    case .bulk(let document) = fields[1]
                else { continue }
                if let chat = BotJob.chatOfRetry(document, scheduled: false) { chats.insert(chat) }
            }
            guard page.count == 1000, let last = page.last?.array?.first?.string else { break }
            start = "(" + last
        }
        return chats
    }

    // MARK: Intake and batches

    /// Many intakes in one round trip, in order (a poll's updates): each is atomic on its own
    /// and has its own result.
    package func intake(_ items: [IntakeItem]) async throws(StoreError) -> [Result<IntakeOutcome, StoreError>] {
        let results = try await mapped { () throws(RedisError) in
            try await RedisScripts.intake.runMany(on: client, arguments: items.map(arguments(of:)))
        }
        return zip(items, results).map { item, result in result.map { Self.outcome(of: item, $0) }.mapError(storeError) }
    }

    private func arguments(of item: IntakeItem) -> [[UInt8]] {
        var kind = "none"
        var payload: [UInt8] = []
        var handoff = ""
        var handoffChat = item.chatID
        var batch = BotSettings.Batch()
        switch item.action {
        case .none: break
        case .job(let job, let change):
            kind = "job"
            payload = job.document
            handoff = change?.rawValue ?? ""
            handoffChat = job.chatID
        case .batch(let message, let settings):
            kind = "batch"
            payload = message.document
            batch = settings
        }
        return [
            bytes(keys.prefix), bytes(item.updateID.map(String.init) ?? ""), bytes("\(item.chatID)"),
            bytes(item.messageID.map(String.init) ?? ""), bytes("\(item.dedupWindowMs)"), bytes(kind), payload, bytes(handoff),
            bytes("\(batch.quietMs)"), bytes("\(batch.maxMessages)"), bytes("\(batch.maxWaitMs)"),
            bytes("\(RedisKeys.batchTTLMilliseconds)"), bytes("\(handoffChat)"),
            bytes(item.polled ? item.after.map(String.init) ?? "" : "-"),
        ] + fenceArguments
    }

    private static func outcome(of item: IntakeItem, _ reply: RedisReply) -> IntakeOutcome {
        let (outcome, number) = pair(reply)
        switch outcome {
        case "duplicate": return .duplicate
        case "flushed": return .queued
        default:
            switch item.action {
            case .batch: return .batched(dueIn: .milliseconds(number))
            case .job: return .queued
            case .none: return .noted
            }
        }
    }

    /// Takes due batches into the job stream, many chats in one round trip, each atomic on its own.
    package func flush(chatIDs: [Int64], force: Bool) async throws(StoreError) -> [Result<FlushOutcome, StoreError>] {
        let results = try await mapped { () throws(RedisError) in
            try await RedisScripts.flush.runMany(
                on: client, arguments: chatIDs.map { [bytes(keys.prefix), bytes("\($0)"), bytes(force ? "1" : "0")] + fenceArguments })
        }
        return results.map { $0.map(Self.flushOutcome).mapError(storeError) }
    }

    private static func flushOutcome(_ reply: RedisReply) -> FlushOutcome {
        let (outcome, number) = pair(reply)
        switch outcome {
        case "later": return .later(.milliseconds(number))
        case "flushed": return .flushed
        default: return .gone
        }
    }

    // MARK: Jobs

    package func takeUnfinished(after: String, count: Int) async throws(StoreError) -> [BotJob] {
        try await mapped { () throws(RedisError) in try await take(pending: true, after: after.isEmpty ? "0" : after, count: count) }
    }

    package func take(count: Int, wait: Duration) async throws(StoreError) -> [BotJob] {
        try await mapped { () throws(RedisError) in try await take(pending: false, count: count, block: wait) }
    }

    /// Jobs for this bot's worker: with `pending`, the ones a predecessor took and never
    /// finished (after `after`, to page through them); otherwise new ones, waiting up to
    /// `block` for any.
    private func take(pending: Bool, after: String = "0", count: Int, block: Duration = .zero) async throws(RedisError) -> [BotJob] {
        let queue = RedisJobQueue(client: reader, key: keys.jobs, group: RedisKeys.group)
        let entries: [RedisJobQueue.Job]
        do {
            if epoch != nil {
                entries = try await fencedTake(pending: pending, after: after, count: count, block: block)
            } else {
                entries =
                    pending
                    ? try await queue.takeOwnPending(consumer: RedisKeys.consumer, after: after, count: count)
                    : try await queue.take(consumer: RedisKeys.consumer, count: count, block: block)
            }
        } catch {
            // A server that lost its data (restarted without persistence) lost the group too.
            if case .server(let message) = error, message.hasPrefix("NOGROUP") {
                try await RedisJobQueue(client: client, key: keys.jobs, group: RedisKeys.group).prepare()
                return []
            }
            throw error
        }
        var jobs: [BotJob] = []
        var unreadable: [String] = []
        for entry in entries {
            guard var job = try? BotJob.decode(entry.payload) else {
                // Deleted under the pending list, or not a job document: nothing to run.
                unreadable.append(entry.id)
                continue
            }
            job.storeID = entry.id
            job.redelivered = pending
            jobs.append(job)
        }
        if !unreadable.isEmpty { try await acknowledge(unreadable, marks: []) }
        if pending, jobs.isEmpty, let last = entries.last?.id {
            // A page of only unreadable entries: go on after it.
            return try await take(pending: true, after: last, count: count, block: block)
        }
        return jobs
    }

    /// Cluster mode's take: the read runs in a script that checks the epoch first; a
    /// blocking read cannot, so when nothing is new it waits with `XREAD BLOCK` (which takes
    /// nothing) for an entry after the stream's last one, then takes once more. All on the
    /// reader's connection, as the unfenced take: on the shared one the takes would queue
    /// behind the intakes and finishes instead of running beside them.
    private func fencedTake(pending: Bool, after: String, count: Int, block: Duration) async throws(RedisError) -> [RedisJobQueue.Job] {
        let arguments = [bytes(keys.prefix), bytes("\(count)"), bytes(pending ? after : ">")] + fenceArguments
        var reply = try await RedisScripts.takeJobs.run(on: reader, arguments: arguments)
        if !pending, block > .zero, let parts = reply.array, parts.count == 2, parts[0].string == "none", let last = parts[1].string {
            _ = try await reader.command("XREAD", "COUNT", "1", "BLOCK", "\(block.millisecondsClamped)", "STREAMS", keys.jobs, last)
            reply = try await RedisScripts.takeJobs.run(on: reader, arguments: arguments)
        }
        guard let parts = reply.array, parts.count == 2, parts[0].string == "jobs" else { return [] }
        return RedisJobQueue.jobs(in: parts[1], deliveries: pending ? 2 : 1)
    }

    /// Finishes a job: its unrecorded steps' idempotency keys written, acknowledged and removed
    /// from the stream, in one round trip.
    package func finish(_ job: BotJob) async throws(StoreError) {
        try await mapped { () throws(RedisError) in try await acknowledge(job.storeID.map { [$0] } ?? [], marks: marks(of: job)) }
    }

    /// Writes the idempotency keys of steps done so far.
    package func recordSteps(of job: BotJob) async throws(StoreError) {
        try await mapped { () throws(RedisError) in try await writeMarks(of: job) }
    }

    private func writeMarks(of job: BotJob) async throws(RedisError) {
        try await acknowledge([], marks: marks(of: job))
    }

    /// The steps of a redelivered job that were done before its worker died.
    package func stepsDone(of job: BotJob) async throws(StoreError) -> Set<Int> {
        let steps = Array(0..<job.maximumSteps)
        let reply = try await mapped { () throws(RedisError) in
            try await client.command(["MGET"] + steps.map { keys.sent(job.key, step: $0) })
        }
        var done: Set<Int> = []
        for (step, value) in zip(steps, reply.array ?? []) where value != .null { done.insert(step) }
        return done
    }

    /// Moves a failed job to the retry set, due after `delay`.
    package func scheduleRetry(_ job: BotJob, delay: Duration) async throws(StoreError) {
        try await mapped { () throws(RedisError) in
            try await writeMarks(of: job)
            _ = try await RedisScripts.scheduleRetry.run(
                on: client,
                arguments: [bytes(keys.prefix), bytes(job.storeID ?? ""), bytes("\(delay.millisecondsClamped)"), job.document]
                    + fenceArguments)
        }
    }

    /// Moves due retries into the stream; returns how long until the next one is due.
    package func promoteDueRetries() async throws(StoreError) -> Duration? {
        try await mapped { () throws(RedisError) in try await promoteRetries() }
    }

    private func promoteRetries() async throws(RedisError) -> Duration? {
        let reply = try await RedisScripts.promoteRetries.run(on: client, arguments: [bytes(keys.prefix)] + fenceArguments)
        let values = reply.array ?? []
        guard values.count == 2, let next = values[1].integer, next >= 0 else { return nil }
        return .milliseconds(next)
    }

    /// Dead-letters a job with its last error.
    package func deadLetter(_ job: BotJob, entry: DeadLetterEntry) async throws(StoreError) {
        try await mapped { () throws(RedisError) in
            try await writeMarks(of: job)
            let stored = DeadLetterDocument(entry: entry, job: job)
            _ = try await RedisScripts.deadLetter.run(
                on: client,
                arguments: [
                    bytes(keys.prefix), bytes(job.storeID ?? ""), BotJob.encode(stored), bytes("\(StoreLimits.keptDeadLetters)"),
                ] + fenceArguments)
        }
    }

    // MARK: Dead letters

    package func deadLetters() async throws(StoreError) -> [StoredDeadLetter] {
        let reply = try await mapped { () throws(RedisError) in try await client.command("LRANGE", keys.dead, "0", "-1") }
        return (reply.array ?? []).compactMap { value in
            guard case .bulk(let raw) = value, let letter = try? JSONDecoder().decode(DeadLetterDocument.self, from: Data(raw))
            else { return nil }
            return StoredDeadLetter(handle: raw, entry: letter.entry, job: letter.job)
        }
    }

    package func requeue(_ letter: StoredDeadLetter) async throws(StoreError) -> Bool {
        let reply = try await mapped { () throws(RedisError) in
            try await RedisScripts.requeueDeadLetter.run(
                on: client, arguments: [bytes(keys.prefix), letter.handle, letter.job.freshAttempt.document] + fenceArguments)
        }
        return reply.integer == 1
    }

    package func purgeDeadLetters() async throws(StoreError) -> Int {
        let reply = try await mapped { () throws(RedisError) in
            try await RedisScripts.purgeDeadLetters.run(on: client, arguments: [bytes(keys.prefix)] + fenceArguments)
        }
        return Int(reply.integer ?? 0)
    }

    // MARK: Handoff threads

    package func rememberThread(operatorMessageID: Int64, userChat: Int64) async throws(StoreError) {
        _ = try await mapped { () throws(RedisError) in
            try await RedisScripts.setExpiring.run(
                on: client,
                arguments: [bytes(keys.thread(operatorMessageID)), bytes("\(userChat)"), bytes("\(StoreLimits.threadMilliseconds)")]
                    + fenceArguments)
        }
    }

    package func thread(operatorMessageID: Int64) async throws(StoreError) -> Int64? {
        try await mapped { () throws(RedisError) in
            try await client.command("GET", keys.thread(operatorMessageID)).string.flatMap { Int64($0) }
        }
    }

    // MARK: Helpers

    /// Marks written and jobs acknowledged and deleted, in one fenced script.
    private func acknowledge(_ ids: [String], marks: [[[UInt8]]]) async throws(RedisError) {
        guard !ids.isEmpty || !marks.isEmpty else { return }
        let arguments = [bytes(keys.prefix), bytes("\(ids.count)")] + ids.map(bytes) + marks.joined() + fenceArguments
        _ = try await RedisScripts.finish.run(on: client, arguments: arguments)
    }

    /// Each step done and not yet recorded, as the key, value and ms to live of a `SET … NX`:
    /// the reply's message id, kept 24 h.
    private func marks(of job: BotJob) -> [[[UInt8]]] {
        job.unrecordedSteps.map { step in
            command(keys.sent(job.key, step: step.step), "\(step.messageID)", "\(StoreLimits.sentRecordMilliseconds)")
        }
    }

    func command(_ arguments: String...) -> [[UInt8]] { arguments.map { Array($0.utf8) } }
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func pair(_ reply: RedisReply) -> (String, Int64) {
        let values = reply.array ?? []
        return (values.first?.string ?? "", values.count > 1 ? values[1].integer ?? 0 : 0)
    }

    /// Runs Redis calls, turning their errors into the store's.
    func mapped<Value>(_ body: () async throws(RedisError) -> Value) async throws(StoreError) -> Value {
        do {
            return try await body()
        } catch {
            throw storeError(error)
        }
    }

    /// The store's error for a Redis error; a fencing refusal also stops the worker.
    private func storeError(_ error: RedisError) -> StoreError {
        if case .server(let message) = error, message.contains("FENCED") {
            onFencingRefusal(message)
            return StoreError(.fenced, message)
        }
        return StoreError(error.isConnectionProblem ? .unavailable : .failed, error.description)
    }
}
