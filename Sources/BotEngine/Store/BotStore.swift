import BotmasterIPC

/// Everything a bot's engine keeps between updates, behind one interface: dedup marks, open
/// rapid-fire batches, the polling offset, the job queue, the retry schedule, dead letters,
/// idempotency records of sent steps, handoff state, the chats the bot knows and its broadcasts.
///
/// ``BotEngine`` calls only this protocol and never asks which store it runs on. Three
/// implementations pass one conformance suite (`Tests/BotEngineTests/StoreConformanceTests.swift`):
/// - ``SQLiteStore``, the default: one database file per bot, owned by that bot's worker;
/// - ``RedisStore``: the state on a Redis server (`REDIS_URL`), the way to several hosts;
/// - ``MemoryStore``: nothing survives the process; for tests and benchmarks only.
///
/// The contract every implementation keeps:
/// - ``intake(_:)`` is atomic per item: dedup check, the item's action, then the dedup marks
///   and the offset. An item whose result is a success is kept (as durably as the store is);
///   a failure leaves no trace, so the update is neither a duplicate nor confirmed when it
///   comes again. The stored offset never passes an update that was not kept. Every update
///   kept makes its chat a known chat (and unblocks it: a user who writes again is back).
/// - A job is in exactly one place: the queue (taken or not), the retry schedule, or the dead
///   letters; moving it between them is atomic.
/// - ``takeUnfinished(after:count:)`` hands a new process the jobs its predecessor took and did
///   not finish; ``take(count:wait:)`` hands out each queued job once per process.
/// - Only one process works on a bot's state at a time (``open()`` waits for the previous
///   owner where the store can know it).
package protocol BotStore: Sendable {
    /// Which store this is, for status and logs.
    var kind: BotSettings.Store { get }
    /// Where the state is, for the worker's log (never a password).
    var location: String { get }

    /// Opens the state for this process and reads what a new process starts from. Throws while
    /// the state cannot be used (server away, file locked by a predecessor still running,
    /// database unreadable); the engine retries and reports why.
    func open() async throws(StoreError) -> StoreSnapshot

    /// Takes updates (or jobs not born of one), in order, each atomic on its own.
    func intake(_ items: [IntakeItem]) async throws(StoreError) -> [Result<IntakeOutcome, StoreError>]

    /// Takes each chat's open batch into a job if it is due, or at once with `force` (a drain).
    func flush(chatIDs: [Int64], force: Bool) async throws(StoreError) -> [Result<FlushOutcome, StoreError>]

    /// The jobs a predecessor took and never finished, after the cursor `after` ("" from the
    /// start), at most `count`; each marked ``BotJob/redelivered``.
    func takeUnfinished(after: String, count: Int) async throws(StoreError) -> [BotJob]

    /// Queued jobs not handed to this process yet, waiting up to `wait` for one.
    func take(count: Int, wait: Duration) async throws(StoreError) -> [BotJob]

    /// Records the steps of `job` done and not yet recorded (``BotJob/unrecordedSteps``).
    func recordSteps(of job: BotJob) async throws(StoreError)

    /// The steps of a redelivered job recorded as done.
    func stepsDone(of job: BotJob) async throws(StoreError) -> Set<Int>

    /// Finishes a job: removes it. A store that does not keep a second process from working on
    /// the same job (Redis) records the job's unrecorded steps with it, atomically, so such a
    /// process skips them; a store with one owner (SQLite, behind its lock file; memory) need
    /// not, as a removed job is never taken again.
    func finish(_ job: BotJob) async throws(StoreError)

    /// Moves a failed job to the retry schedule, due after `delay`.
    func scheduleRetry(_ job: BotJob, delay: Duration) async throws(StoreError)

    /// Moves due retries back to the queue; returns how long until the next is due.
    func promoteDueRetries() async throws(StoreError) -> Duration?

    /// Moves a job to the dead letters (the last ``StoreLimits/keptDeadLetters`` kept).
    func deadLetter(_ job: BotJob, entry: DeadLetterEntry) async throws(StoreError)

    /// The dead letters, oldest first.
    func deadLetters() async throws(StoreError) -> [StoredDeadLetter]

    /// Queues a dead letter's job again from its first attempt; `false` when the letter is
    /// gone (retried or purged by someone else).
    func requeue(_ letter: StoredDeadLetter) async throws(StoreError) -> Bool

    /// Drops every dead letter; returns how many there were.
    func purgeDeadLetters() async throws(StoreError) -> Int

    /// Remembers which user chat an operator-chat message is about (handoff).
    func rememberThread(operatorMessageID: Int64, userChat: Int64) async throws(StoreError)

    /// The user chat an operator-chat message is about.
    func thread(operatorMessageID: Int64) async throws(StoreError) -> Int64?

    // MARK: Broadcasts

    /// Makes a broadcast from `draft` (the store gives it its id and total): its audience kept
    /// in order, its state `queued`. The oldest finished broadcasts beyond
    /// ``StoreLimits/keptBroadcasts`` are forgotten.
    func createBroadcast(_ draft: BroadcastInfo, audience: BroadcastAudience) async throws(StoreError) -> BroadcastInfo

    /// The broadcasts kept, oldest first, with their counts.
    func broadcasts() async throws(StoreError) -> [StoredBroadcast]

    /// Moves a broadcast to `state` (noting `atMs` as its start when it first runs, as its end
    /// when it ends); `false` when there is no such broadcast.
    func setBroadcastState(_ id: String, to state: BroadcastState, atMs: Int64) async throws(StoreError) -> Bool

    /// The audience from position `from`, at most `count`, each with whether it has an outcome.
    func broadcastTargets(_ id: String, from: Int, count: Int) async throws(StoreError) -> [BroadcastTarget]

    /// Records one chat's outcome and the broadcast's new cursor, atomically: the counts move
    /// only for a position without an outcome yet, and a `blocked` chat is marked so that
    /// broadcasts to the known chats leave it out (until it writes to the bot again).
    func recordBroadcastOutcome(_ id: String, _ outcome: BroadcastOutcome, cursor: Int) async throws(StoreError)

    /// The chats a broadcast did not reach, in audience order, at most `limit`.
    func broadcastFailures(_ id: String, limit: Int) async throws(StoreError) -> [BroadcastFailure]

    /// Releases the state (connections, file locks).
    func close() async
}

/// Bounds every store keeps alike.
package enum StoreLimits {
    package static let keptDeadLetters = 1000
    /// How long a sent step's record is kept: a job is finished long before.
    package static let sentRecordMilliseconds: Int64 = 24 * 3600 * 1000
    /// How long an operator thread is remembered.
    package static let threadMilliseconds: Int64 = 30 * 24 * 3600 * 1000
    /// Broadcasts kept for `broadcast list`; older finished ones (and their audiences) go.
    package static let keptBroadcasts = 100
}
