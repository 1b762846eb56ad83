import BotRedis
import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One bot's durable state in Redis: what ``BotEngine`` keeps there instead of in memory when
/// `REDIS_URL` is set. Each method is one round trip (commands of concurrent callers share
/// round trips, see ``RedisClient``); every multi-key step is one Lua script (``RedisScripts``).
package final class RedisBotState: Sendable {
    package let keys: RedisKeys
    /// Everything but the blocking read.
    package let client: RedisClient
    /// The blocking `XREADGROUP` only: a blocked read holds its connection.
    private let reader: RedisClient

    /// What a worker needs to know when it starts on a bot's state.
    package struct Snapshot: Sendable {
        var handoffChats: Set<Int64>
        /// The stored `getUpdates` offset.
        var offset: Int64?
        /// Open batches and how long until each is due.
        var openBatches: [(chat: Int64, dueIn: Duration)]
        /// When the next retry is due, if any waits.
        var nextRetry: Duration?
    }

    /// What became of one update (or a job not born of one).
    package enum IntakeOutcome: Equatable {
        case duplicate
        /// In the chat's open batch, due in the given time (zero: flush now).
        case batched(dueIn: Duration)
        /// In the job stream (a job, or a batch that filled up).
        case queued
    }

    /// What the intake does after dedup.
    package enum IntakeAction {
        /// Nothing (an update that only moves the offset, or operators talking among themselves).
        case none
        case job(BotJob, handoff: HandoffChange?)
        case batch(JobMessage, BotSettings.Batch)
    }

    package enum HandoffChange: String {
        case start, end
    }

    package enum FlushOutcome: Equatable {
        case later(Duration)
        case flushed
        case gone
    }

    package init(url: RedisURL, fleet: String, bot: String) {
        keys = RedisKeys(fleet: fleet, bot: bot)
        client = RedisClient(url: url)
        reader = RedisClient(url: url, timeout: .seconds(3))
    }

    /// Round trips made by both clients, for the benchmark's round trips per job.
    package var roundTrips: UInt64 { client.roundTrips + reader.roundTrips }

    package func shutdown() async {
        await client.shutdown()
        await reader.shutdown()
    }

    /// ``shutdown()`` for synchronous clean-up.
    package func syncShutdown() {
        client.syncShutdown()
        reader.syncShutdown()
    }

    // MARK: Start

    /// Creates the stream's group if missing and reads the state a new process starts from.
    package func prepare() async throws(RedisError) -> Snapshot {
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
        return Snapshot(handoffChats: handoff, offset: offset, openBatches: batches, nextRetry: try await promoteDueRetries())
    }

    // MARK: Intake and batches

    /// One update (or a job not born of one) for the intake script.
    package struct IntakeItem {
        package var updateID: Int64?
        package var chatID: Int64
        package var messageID: Int64?
        package var dedupWindowMs: Int
        package var action: IntakeAction
        /// In a poll's pipeline, the update before this one: the stored offset passes this one
        /// only if that one is in.
        package var after: Int64?
        /// Whether the update came from `getUpdates` (a webhook delivery has no offset).
        package var polled: Bool

        package init(
            updateID: Int64?, chatID: Int64, messageID: Int64?, dedupWindowMs: Int, action: IntakeAction, after: Int64? = nil,
            polled: Bool = true
        ) {
            self.after = after
            self.polled = polled
            self.updateID = updateID
            self.chatID = chatID
            self.messageID = messageID
            self.dedupWindowMs = dedupWindowMs
            self.action = action
        }
    }

    /// Dedup, offset and the update's action, atomically.
    package func intake(updateID: Int64?, chatID: Int64, messageID: Int64?, dedupWindowMs: Int, action: IntakeAction)
        async throws(RedisError) -> IntakeOutcome
    {
        let item = IntakeItem(updateID: updateID, chatID: chatID, messageID: messageID, dedupWindowMs: dedupWindowMs, action: action)
        return try await intake([item])[0].get()
    }

    /// Many intakes in one round trip, in order (a poll's updates): each is atomic on its own
    /// and has its own result.
    package func intake(_ items: [IntakeItem]) async throws(RedisError) -> [Result<IntakeOutcome, RedisError>] {
        let results = try await RedisScripts.intake.runMany(on: client, arguments: items.map(arguments(of:)))
        return zip(items, results).map { item, result in result.map { Self.outcome(of: item, $0) } }
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
            payload = Self.encode(job)
            handoff = change?.rawValue ?? ""
            handoffChat = job.chatID
        case .batch(let message, let settings):
            kind = "batch"
            payload = Self.encode(message)
            batch = settings
        }
        return [
            bytes(keys.prefix), bytes(item.updateID.map(String.init) ?? ""), bytes("\(item.chatID)"),
            bytes(item.messageID.map(String.init) ?? ""), bytes("\(item.dedupWindowMs)"), bytes(kind), payload, bytes(handoff),
            bytes("\(batch.quietMs)"), bytes("\(batch.maxMessages)"), bytes("\(batch.maxWaitMs)"),
            bytes("\(RedisKeys.batchTTLMilliseconds)"), bytes("\(handoffChat)"),
            bytes(item.polled ? item.after.map(String.init) ?? "" : "-"),
        ]
    }

    private static func outcome(of item: IntakeItem, _ reply: RedisReply) -> IntakeOutcome {
        let (outcome, number) = pair(reply)
        switch outcome {
        case "duplicate": return .duplicate
        case "flushed": return .queued
        default:
            if case .batch = item.action { return .batched(dueIn: .milliseconds(number)) }
            return .queued
        }
    }

    /// Takes a chat's open batch into the job stream if it is due (or at once when `force`).
    package func flush(chatID: Int64, force: Bool) async throws(RedisError) -> FlushOutcome {
        let reply = try await RedisScripts.flush.run(
            on: client, arguments: [bytes(keys.prefix), bytes("\(chatID)"), bytes(force ? "1" : "0")])
        return Self.flushOutcome(reply)
    }

    /// ``flush(chatID:force:)`` for many chats in one round trip, each atomic on its own.
    func flush(chatIDs: [Int64]) async throws(RedisError) -> [Result<FlushOutcome, RedisError>] {
        let results = try await RedisScripts.flush.runMany(
            on: client, arguments: chatIDs.map { [bytes(keys.prefix), bytes("\($0)"), bytes("0")] })
        return results.map { $0.map(Self.flushOutcome) }
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

    /// Jobs for this bot's worker: with `pending`, the ones a predecessor took and never
    /// finished (after `after`, to page through them); otherwise new ones, waiting up to
    /// `block` for any.
    package func take(pending: Bool, after: String = "0", count: Int, block: Duration) async throws(RedisError) -> [BotJob] {
        let queue = RedisJobQueue(client: reader, key: keys.jobs, group: RedisKeys.group)
        let entries: [RedisJobQueue.Job]
        do {
            entries =
                pending
                ? try await queue.takeOwnPending(consumer: RedisKeys.consumer, after: after, count: count)
                : try await queue.take(consumer: RedisKeys.consumer, count: count, block: block)
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
        let decoder = JSONDecoder()
        for entry in entries {
            guard var job = try? decoder.decode(BotJob.self, from: Data(entry.payload)) else {
                // Deleted under the pending list, or not a job document: nothing to run.
                unreadable.append(entry.id)
                continue
            }
            job.streamID = entry.id
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

    /// Finishes a job: its unrecorded steps' idempotency keys written, acknowledged and removed
    /// from the stream, in one round trip.
    package func finish(_ job: BotJob) async throws(RedisError) {
        try await acknowledge(job.streamID.map { [$0] } ?? [], marks: marks(of: job))
    }

    /// Writes the idempotency keys of steps done so far.
    package func recordSteps(of job: BotJob) async throws(RedisError) {
        let commands = marks(of: job)
        guard !commands.isEmpty else { return }
        for result in try await client.pipeline(commands) { _ = try result.get() }
    }

    /// The steps of a redelivered job that were done before its worker died.
    func stepsDone(of job: BotJob) async throws(RedisError) -> Set<Int> {
        let steps = Array(0..<job.maximumSteps)
        let reply = try await client.command(["MGET"] + steps.map { keys.sent(job.key, step: $0) })
        var done: Set<Int> = []
        for (step, value) in zip(steps, reply.array ?? []) where value != .null { done.insert(step) }
        return done
    }

    /// Moves a failed job to the retry set, due after `delay`.
    func scheduleRetry(_ job: BotJob, delay: Duration) async throws(RedisError) {
        try await recordSteps(of: job)
        _ = try await RedisScripts.scheduleRetry.run(
            on: client,
            arguments: [bytes(keys.prefix), bytes(job.streamID ?? ""), bytes("\(Self.milliseconds(delay))"), Self.encode(job)])
    }

    /// Moves due retries into the stream; returns how long until the next one is due.
    func promoteDueRetries() async throws(RedisError) -> Duration? {
        let reply = try await RedisScripts.promoteRetries.run(on: client, arguments: [bytes(keys.prefix)])
        let values = reply.array ?? []
        guard values.count == 2, let next = values[1].integer, next >= 0 else { return nil }
        return .milliseconds(next)
    }

    /// Dead-letters a job with its last error.
    func deadLetter(_ job: BotJob, entry: DeadLetterEntry) async throws(RedisError) {
        try await recordSteps(of: job)
        let stored = StoredDeadLetter(entry: entry, job: job)
        _ = try await RedisScripts.deadLetter.run(
            on: client,
            arguments: [
                bytes(keys.prefix), bytes(job.streamID ?? ""), Self.encode(stored), bytes("\(RedisKeys.keptDeadLetters)"),
            ])
    }

    // MARK: Dead letters

    /// A dead letter as kept in the `dead` list: what `dlq` shows and the job to run again.
    struct StoredDeadLetter: Codable {
        var entry: DeadLetterEntry
        var job: BotJob
    }

    /// The dead letters, oldest first, with their raw list values (what a requeue removes).
    func deadLetters() async throws(RedisError) -> [(raw: [UInt8], letter: StoredDeadLetter)] {
        let reply = try await client.command("LRANGE", keys.dead, "0", "-1")
        return (reply.array ?? []).compactMap { value in
            guard case .bulk(let raw) = value, let letter = try? JSONDecoder().decode(StoredDeadLetter.self, from: Data(raw))
            else { return nil }
            return (raw, letter)
        }
    }

    /// Runs one dead letter again, from its first attempt; `false` if someone else took it first.
    func requeue(raw: [UInt8], job: BotJob) async throws(RedisError) -> Bool {
        var fresh = job
        fresh.failures = 0
        // The handler runs again (it failed or its reply could not be sent); sent steps stay sent.
        fresh.reply = nil
        let reply = try await RedisScripts.requeueDeadLetter.run(
            on: client, arguments: [bytes(keys.prefix), raw, Self.encode(fresh)])
        return reply.integer == 1
    }

    /// Drops every dead letter; returns how many there were.
    func purgeDeadLetters() async throws(RedisError) -> Int {
        let replies = try await client.pipeline([command("LLEN", keys.dead), command("DEL", keys.dead)])
        return Int(try replies[0].get().integer ?? 0)
    }

    // MARK: Handoff threads

    func rememberThread(operatorMessageID: Int64, userChat: Int64) async throws(RedisError) {
        _ = try await client.command(
            "SET", keys.thread(operatorMessageID), "\(userChat)", "EX", "\(RedisKeys.threadTTLSeconds)")
    }

    func thread(operatorMessageID: Int64) async throws(RedisError) -> Int64? {
        try await client.command("GET", keys.thread(operatorMessageID)).string.flatMap { Int64($0) }
    }

    // MARK: Helpers

    private func acknowledge(_ ids: [String], marks: [[[UInt8]]]) async throws(RedisError) {
        var commands = marks
        if !ids.isEmpty { commands += RedisJobQueue(client: client, key: keys.jobs, group: RedisKeys.group).acknowledgement(of: ids) }
        guard !commands.isEmpty else { return }
        for result in try await client.pipeline(commands) { _ = try result.get() }
    }

    /// `SET … NX` of each step done and not yet recorded: the reply's message id, kept 24 h.
    private func marks(of job: BotJob) -> [[[UInt8]]] {
        job.unrecordedSteps.map { step in
            command(
                "SET", keys.sent(job.key, step: step.step), "\(step.messageID)", "NX", "PX", "\(RedisKeys.sentTTLMilliseconds)")
        }
    }

    private func command(_ arguments: String...) -> [[UInt8]] { arguments.map { Array($0.utf8) } }
    private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    private static func pair(_ reply: RedisReply) -> (String, Int64) {
        let values = reply.array ?? []
        return (values.first?.string ?? "", values.count > 1 ? values[1].integer ?? 0 : 0)
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        Array((try? JSONEncoder().encode(value)) ?? Data("{}".utf8))
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }
}
