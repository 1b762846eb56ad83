import BotmasterIPC
import BotmasterSystem
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A bot's state in an SQLite database of its own (`store = "sqlite"`, the default):
/// `<home>/run/store/<bot>.sqlite`, owned by that bot's worker alone.
///
/// - Durability: WAL journal with `synchronous = NORMAL`. A transaction is in the WAL file
///   (the kernel's page cache) when its commit returns, so a killed worker — `kill -9`, a crash,
///   the OOM killer — loses nothing it committed. A power loss or kernel panic can lose the last
///   transactions before the next checkpoint's sync (the database stays consistent);
///   `synchronous = FULL` would close that at an `fsync` per commit.
/// - Ownership: the worker holds an exclusive `flock` on `<bot>.sqlite.lock` while it runs, so a
///   successor cannot take over jobs its predecessor is still working on: its ``open()`` fails
///   with `locked` until the predecessor has exited. Being the only user, it opens the database
///   in SQLite's exclusive locking mode: no other process (not even the `sqlite3` shell) can
///   read the file while the worker runs.
/// - Group commits: one intake call is one transaction, whatever number of updates it takes
///   (a poll, or the webhook deliveries that queued up while the previous group was written),
///   and writes that arrive while another is being committed share the next transaction
///   (``SQLiteGroupCommit``): a burst of finished jobs is one commit, not one each.
///
/// Reads run synchronously under the connection's lock on the caller's thread; each call is a
/// few prepared statements, microseconds without an `fsync`.
package final class SQLiteStore: BotStore {
    package let path: String
    private let connection: SQLiteGroupCommit<Connection>
    private let signal = WorkSignal()

    private struct Connection: SQLiteConnectionState {
        var database: SQLiteDatabase
        var lock: FileLock
        /// The stored offset, as last committed.
        var offset: Int64?
        /// Jobs up to this id were in the queue when this process opened it: a predecessor's.
        var unfinishedUpTo: Int64
        /// The highest job id handed out by ``take(count:wait:)``.
        var cursor: Int64
        /// The highest job id queued since the open (or in the queue at the open): the next job
        /// gets the one after it. The store numbers jobs itself, so an emptied queue does not
        /// start again below ``cursor``, and without AUTOINCREMENT's extra page per insert.
        var lastJobID: Int64
        var intakesSinceSweep = 0
    }

    /// Why the database could not be opened.
    enum OpenFailure: Error {
        case database(SQLiteDatabase.Failure)
        case newerSchema(Int64)
    }

    /// - Parameter path: the database file; its directory is created (owner-only) if missing.
    package init(path: String) {
        self.path = path
        connection = SQLiteGroupCommit(closedError: StoreError(.unavailable, "the bot's database is not open"))
    }

    /// Where a bot's database lives in a home.
    package static func path(home: String, bot: String) -> String {
        "\(home)/run/store/\(bot).sqlite"
    }

    package var kind: BotSettings.Store { .sqlite }
    package var location: String { path }

    // MARK: Opening

    package func open() async throws(StoreError) -> StoreSnapshot {
        let now = WallClock.nowMilliseconds()
        try connection.withState { state throws(StoreError) in
            if state == nil { state = try openConnection(now: now) }
        }
        return try connection.read { open throws(SQLiteDatabase.Failure) in try Self.snapshot(open.database, now: now, offset: open.offset)
        }
    }

    private func openConnection(now: Int64) throws(StoreError) -> Connection {
        let directory = String(path[..<(path.lastIndex(of: "/") ?? path.startIndex)])
        do {
            if !directory.isEmpty { try FileSystem.createDirectory(directory, mode: 0o700) }
            guard let lock = try FileLock(path: path + ".lock") else {
                throw StoreError(.locked, "\(path) is held by another process (a previous worker of this bot still stopping)")
            }
            do {
                let database = try SQLiteDatabase(path: path)
                // The lock file above makes this process the database's only user, so it keeps
                // SQLite's locks from the first transaction to the close: no `fcntl` lock and
                // unlock around every transaction, and — set before WAL mode is entered — the
                // WAL index in this process's memory instead of a shared `-shm` mapping.
                try database.query("PRAGMA locking_mode = EXCLUSIVE")
                try database.query("PRAGMA journal_mode = WAL")
                try database.execute("PRAGMA synchronous = NORMAL")
                do {
                    // A migration's statements (a table rebuilt and renamed makes SQLite parse
                    // the whole schema again) leave about 450 KB of freed heap that glibc keeps:
                    // on a new bot's first start, 45 MB across 100 workers until they restart.
                    if try SQLiteSchema.migrate(database) > 0 { Heap.releaseFreePages() }
                } catch {
                    switch error {
                    case .database(let failure): throw failure
                    case .newerSchema(let version):
                        throw StoreError(
                            .corrupt,
                            "\(path) has schema version \(version); this botworker knows up to \(SQLiteSchema.currentVersion) (a newer botworker wrote it)"
                        )
                    }
                }
                let offset = try database.integer("SELECT value FROM meta WHERE key = 'offset'")
                let last = try database.integer("SELECT coalesce(max(id), 0) FROM job") ?? 0
                try database.transaction { () throws(SQLiteDatabase.Failure) in try Self.sweep(database, now: now) }
                return Connection(database: database, lock: lock, offset: offset, unfinishedUpTo: last, cursor: last, lastJobID: last)
            } catch let failure as SQLiteDatabase.Failure {
                lock.release()
                var error = failure.storeError
                error.message = "\(path): \(error.message)"
                throw error
            } catch {
                lock.release()
                throw error
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.readOnly, "\(error)")
        }
    }

    private static func snapshot(_ database: SQLiteDatabase, now: Int64, offset: Int64?) throws(SQLiteDatabase.Failure)
        -> StoreSnapshot
    {
        var snapshot = StoreSnapshot(offset: offset)
        try database.query("SELECT chat FROM handoff") { row in snapshot.handoffChats.insert(row.integer(0)) }
        try database.query("SELECT chat, due_ms FROM batch") { row in
            snapshot.openBatches.append((row.integer(0), .milliseconds(max(row.integer(1) - now, 0))))
        }
        if let next = try database.integer("SELECT min(due_ms) FROM retry") {
            snapshot.nextRetry = .milliseconds(max(next - now, 0))
        }
        try database.query("SELECT document FROM retry") { row in
            if let chat = BotJob.chatOfRetry(row.bytes(0), scheduled: true) { snapshot.chatsAwaitingRetry.insert(chat) }
        }
        try database.query("SELECT document FROM job WHERE instr(document, 'retried') > 0 OR instr(document, 'failures') > 0") { row in
            if let chat = BotJob.chatOfRetry(row.bytes(0), scheduled: false) { snapshot.chatsAwaitingRetry.insert(chat) }
        }
        return snapshot
    }

    /// Drops expired dedup marks, old sent-step records and old operator threads (inside the
    /// caller's transaction).
    private static func sweep(_ database: SQLiteDatabase, now: Int64) throws(SQLiteDatabase.Failure) {
        try database.query("DELETE FROM seen WHERE expires_ms <= ?", [.integer(now)])
        try database.query("DELETE FROM sent WHERE at_ms < ?", [.integer(now - StoreLimits.sentRecordMilliseconds)])
        try database.query("DELETE FROM thread WHERE at_ms < ?", [.integer(now - StoreLimits.threadMilliseconds)])
    }

    package func close() async {
        connection.withState { state in
            state?.lock.release()
            state = nil
        }
        signal.notify()
    }

    // MARK: Intake and batches

    package func intake(_ items: [IntakeItem]) async throws(StoreError) -> [Result<IntakeOutcome, StoreError>] {
        let now = WallClock.nowMilliseconds()
        let outcomes = try await connection.write { open throws(SQLiteDatabase.Failure) in
            var offset = open.offset
            let outcomes = try items.map { item throws(SQLiteDatabase.Failure) in
                try Self.take(item, nowMs: now, offset: &offset, in: &open)
            }
            // Once per intake, not per update: inside the one transaction only the last value
            // counts, and a poll brings up to 100 updates.
            if let offset, offset != open.offset {
                try open.database.query("INSERT OR REPLACE INTO meta(key, value) VALUES ('offset', ?)", [.integer(offset)])
            }
            open.offset = offset
            open.intakesSinceSweep += items.count
            if open.intakesSinceSweep >= 10_000 {
                open.intakesSinceSweep = 0
                try Self.sweep(open.database, now: now)
            }
            return outcomes
        }
        if outcomes.contains(.queued) { signal.notify() }
        return outcomes.map { .success($0) }
    }

    /// One item, inside the intake's transaction: the same steps as the Redis intake script
    /// (the offset it advances is written once, by the intake, after the last item).
    private static func take(_ item: IntakeItem, nowMs now: Int64, offset: inout Int64?, in open: inout Connection)
        throws(SQLiteDatabase.Failure) -> IntakeOutcome
    {
        let database = open.database
        let marks = IntakeRules.dedupMarks(of: item)
        for mark in marks {
            if try database.integer("SELECT 1 FROM seen WHERE mark = ? AND expires_ms > ?", [.text(mark), .integer(now)]) != nil {
                offset = IntakeRules.offset(after: item, stored: offset)
                return .duplicate
            }
        }
        let outcome: IntakeOutcome
        switch item.action {
        case .none:
            outcome = .noted
        case .job(let job, let change):
            try insertJob(job.document, into: &open)
            switch change {
            case .start?: try database.query("INSERT OR IGNORE INTO handoff(chat) VALUES (?)", [.integer(job.chatID)])
            case .end?: try database.query("DELETE FROM handoff WHERE chat = ?", [.integer(job.chatID)])
            case nil: break
            }
            outcome = .queued
        case .batch(let message, let settings):
            let encoded = String(decoding: message.document, as: UTF8.self)
            var batch: (count: Int, firstMs: Int64, messages: String)?
            try database.query("SELECT count, first_ms, messages FROM batch WHERE chat = ?", [.integer(item.chatID)]) { row in
                batch = (Int(row.integer(0)), row.integer(1), String(decoding: row.bytes(2), as: UTF8.self))
            }
            switch IntakeRules.batchStep(openCount: batch?.count ?? 0, firstMs: batch?.firstMs, nowMs: now, settings: settings) {
            case .alone:
                try insertJob(batchDocument(chat: item.chatID, messages: encoded), into: &open)
                outcome = .queued
            case .appendAndTake:
                let messages = batch.map { $0.messages + "," + encoded } ?? encoded
                try database.query("DELETE FROM batch WHERE chat = ?", [.integer(item.chatID)])
                try insertJob(batchDocument(chat: item.chatID, messages: messages), into: &open)
                outcome = .queued
            case .append(let due):
                if let batch {
                    try database.query(
                        "UPDATE batch SET count = ?, due_ms = ?, messages = ? WHERE chat = ?",
                        [.integer(Int64(batch.count + 1)), .integer(due), .text(batch.messages + "," + encoded), .integer(item.chatID)])
                } else {
                    try database.query(
                        "INSERT INTO batch(chat, first_ms, due_ms, count, messages) VALUES (?, ?, ?, 1, ?)",
                        [.integer(item.chatID), .integer(now), .integer(due), .text(encoded)])
                }
                outcome = .batched(dueIn: .milliseconds(max(due - now, 0)))
            }
        }
        for mark in marks {
            try database.query(
                "INSERT OR REPLACE INTO seen(mark, expires_ms) VALUES (?, ?)", [.text(mark), .integer(now + Int64(item.dedupWindowMs))])
        }
        offset = IntakeRules.offset(after: item, stored: offset)
        if item.updateID != nil {
            try database.query(
                "INSERT INTO chat(id) VALUES (?) ON CONFLICT(id) DO UPDATE SET blocked = 0 WHERE blocked = 1", [.integer(item.chatID)])
        }
        return outcome
    }

    /// A batch job's document from its messages' comma-joined JSON (what the Redis script builds).
    private static func batchDocument(chat: Int64, messages: String) -> [UInt8] {
        Array("{\"chat\":\(chat),\"kind\":\"batch\",\"messages\":[\(messages)]}".utf8)
    }

    private static func insertJob(_ document: [UInt8], into open: inout Connection) throws(SQLiteDatabase.Failure) {
        try open.database.query("INSERT INTO job(id, document) VALUES (?, ?)", [.integer(open.lastJobID + 1), .blob(document)])
        open.lastJobID += 1
    }

    package func flush(chatIDs: [Int64], force: Bool) async throws(StoreError) -> [Result<FlushOutcome, StoreError>] {
        let now = WallClock.nowMilliseconds()
        let outcomes = try await connection.write { open throws(SQLiteDatabase.Failure) in
            let database = open.database
            return try chatIDs.map { chat throws(SQLiteDatabase.Failure) -> FlushOutcome in
                var batch: (due: Int64, messages: String)?
                try database.query("SELECT due_ms, messages FROM batch WHERE chat = ?", [.integer(chat)]) { row in
                    batch = (row.integer(0), String(decoding: row.bytes(1), as: UTF8.self))
                }
                guard let batch else { return .gone }
                if batch.due > now && !force { return .later(.milliseconds(batch.due - now)) }
                try database.query("DELETE FROM batch WHERE chat = ?", [.integer(chat)])
                try Self.insertJob(Self.batchDocument(chat: chat, messages: batch.messages), into: &open)
                return .flushed
            }
        }
        if outcomes.contains(.flushed) { signal.notify() }
        return outcomes.map { .success($0) }
    }

    // MARK: Jobs

    package func takeUnfinished(after: String, count: Int) async throws(StoreError) -> [BotJob] {
        try connection.read { open throws(SQLiteDatabase.Failure) in
            try Self.jobs(
                "SELECT id, document FROM job WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                [.integer(Int64(after) ?? 0), .integer(open.unfinishedUpTo), .integer(Int64(count))],
                redelivered: true, in: open.database
            ).jobs
        }
    }

    package func take(count: Int, wait: Duration) async throws(StoreError) -> [BotJob] {
        let seen = signal.generation
        let taken = try takeQueued(count)
        if !taken.isEmpty || wait <= .zero { return taken }
        await signal.wait(after: seen, upTo: wait)
        return try takeQueued(count)
    }

    private func takeQueued(_ count: Int) throws(StoreError) -> [BotJob] {
        try connection.read { open throws(SQLiteDatabase.Failure) in
            let (jobs, last) = try Self.jobs(
                "SELECT id, document FROM job WHERE id > ? ORDER BY id LIMIT ?",
                [.integer(open.cursor), .integer(Int64(count))], redelivered: false, in: open.database)
            open.cursor = max(open.cursor, last)
            return jobs
        }
    }

    /// Reads jobs; an unreadable document (not a job) is deleted, as there is nothing to run.
    private static func jobs(_ sql: String, _ parameters: [SQLiteDatabase.Value], redelivered: Bool, in database: SQLiteDatabase)
        throws(SQLiteDatabase.Failure) -> (jobs: [BotJob], last: Int64)
    {
        var rows: [(id: Int64, document: [UInt8])] = []
        try database.query(sql, parameters) { row in rows.append((row.integer(0), row.bytes(1))) }
        var jobs: [BotJob] = []
        for row in rows {
            guard var job = try? BotJob.decode(row.document) else {
                try database.query("DELETE FROM job WHERE id = ?", [.integer(row.id)])
                continue
            }
            job.storeID = "\(row.id)"
            job.redelivered = redelivered
            jobs.append(job)
        }
        return (jobs, rows.last?.id ?? 0)
    }

    package func recordSteps(of job: BotJob) async throws(StoreError) {
        guard !job.unrecordedSteps.isEmpty else { return }
        let now = WallClock.nowMilliseconds()
        try await write { database throws(SQLiteDatabase.Failure) in try Self.record(job, nowMs: now, in: database) }
    }

    private static func record(_ job: BotJob, nowMs now: Int64, in database: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        for step in job.unrecordedSteps {
            try database.query(
                "INSERT OR IGNORE INTO sent(job, step, message_id, at_ms) VALUES (?, ?, ?, ?)",
                [.text(job.key), .integer(Int64(step.step)), .integer(step.messageID), .integer(now)])
        }
    }

    package func stepsDone(of job: BotJob) async throws(StoreError) -> Set<Int> {
        try read { database throws(SQLiteDatabase.Failure) in
            var steps: Set<Int> = []
            try database.query("SELECT step FROM sent WHERE job = ?", [.text(job.key)]) { row in steps.insert(Int(row.integer(0))) }
            return steps
        }
    }

    /// Deletes the job. Its last steps are not recorded: only a job taken again after its
    /// worker died reads them (``stepsDone(of:)``), and a job deleted in the same transaction
    /// is never taken again. Two index pages fewer per reply than recording them.
    package func finish(_ job: BotJob) async throws(StoreError) {
        try await write { database throws(SQLiteDatabase.Failure) in try Self.deleteJob(job, in: database) }
    }

    private static func deleteJob(_ job: BotJob, in database: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        guard let id = job.storeID.flatMap({ Int64($0) }) else { return }
        try database.query("DELETE FROM job WHERE id = ?", [.integer(id)])
    }

    package func scheduleRetry(_ job: BotJob, delay: Duration) async throws(StoreError) {
        let now = WallClock.nowMilliseconds()
        try await write { database throws(SQLiteDatabase.Failure) in
            try Self.record(job, nowMs: now, in: database)
            try Self.deleteJob(job, in: database)
            try database.query(
                "INSERT INTO retry(due_ms, document) VALUES (?, ?)", [.integer(now + delay.millisecondsClamped), .blob(job.document)])
        }
    }

    package func promoteDueRetries() async throws(StoreError) -> Duration? {
        let now = WallClock.nowMilliseconds()
        let (moved, next) = try await connection.write { open throws(SQLiteDatabase.Failure) -> (Bool, Int64?) in
            let database = open.database
            var due: [(id: Int64, document: [UInt8])] = []
            try database.query(
                "SELECT id, document FROM retry WHERE due_ms <= ? ORDER BY due_ms, id LIMIT 100", [.integer(now)]
            ) { row in due.append((row.integer(0), row.bytes(1))) }
            for job in due {
                try Self.insertJob(job.document, into: &open)
                try database.query("DELETE FROM retry WHERE id = ?", [.integer(job.id)])
            }
            return (!due.isEmpty, try database.integer("SELECT min(due_ms) FROM retry"))
        }
        if moved { signal.notify() }
        return next.map { .milliseconds(max($0 - now, 0)) }
    }

    // MARK: Dead letters

    package func deadLetter(_ job: BotJob, entry: DeadLetterEntry) async throws(StoreError) {
        let now = WallClock.nowMilliseconds()
        try await write { database throws(SQLiteDatabase.Failure) in
            try Self.record(job, nowMs: now, in: database)
            try Self.deleteJob(job, in: database)
            try database.query("INSERT INTO dead(document) VALUES (?)", [.blob(BotJob.encode(DeadLetterDocument(entry: entry, job: job)))])
            try database.query(
                "DELETE FROM dead WHERE id <= (SELECT max(id) FROM dead) - ?", [.integer(Int64(StoreLimits.keptDeadLetters))])
        }
    }

    package func deadLetters() async throws(StoreError) -> [StoredDeadLetter] {
        let rows = try read { database throws(SQLiteDatabase.Failure) in
            var rows: [(id: Int64, document: [UInt8])] = []
            try database.query("SELECT id, document FROM dead ORDER BY id") { row in rows.append((row.integer(0), row.bytes(1))) }
            return rows
        }
        let decoder = JSONDecoder()
        return rows.compactMap { row in
            guard let letter = try? decoder.decode(DeadLetterDocument.self, from: Data(row.document)) else { return nil }
            return StoredDeadLetter(handle: Array("\(row.id)".utf8), entry: letter.entry, job: letter.job)
        }
    }

    package func requeue(_ letter: StoredDeadLetter) async throws(StoreError) -> Bool {
        guard let id = Int64(String(decoding: letter.handle, as: UTF8.self)) else { return false }
        let requeued = try await connection.write { open throws(SQLiteDatabase.Failure) -> Bool in
            try open.database.query("DELETE FROM dead WHERE id = ?", [.integer(id)])
            guard open.database.changes == 1 else { return false }
            try Self.insertJob(letter.job.freshAttempt.document, into: &open)
            return true
        }
        if requeued { signal.notify() }
        return requeued
    }

    package func purgeDeadLetters() async throws(StoreError) -> Int {
        try await write { database throws(SQLiteDatabase.Failure) -> Int in
            let count = try database.integer("SELECT count(*) FROM dead") ?? 0
            try database.query("DELETE FROM dead")
            return Int(count)
        }
    }

    // MARK: Handoff threads

    package func rememberThread(operatorMessageID: Int64, userChat: Int64) async throws(StoreError) {
        let now = WallClock.nowMilliseconds()
        try await write { database throws(SQLiteDatabase.Failure) in
            try database.query(
                "INSERT OR REPLACE INTO thread(message, chat, at_ms) VALUES (?, ?, ?)",
                [.integer(operatorMessageID), .integer(userChat), .integer(now)])
        }
    }

    package func thread(operatorMessageID: Int64) async throws(StoreError) -> Int64? {
        let oldest = WallClock.nowMilliseconds() - StoreLimits.threadMilliseconds
        return try read { database throws(SQLiteDatabase.Failure) in
            try database.integer(
                "SELECT chat FROM thread WHERE message = ? AND at_ms >= ?", [.integer(operatorMessageID), .integer(oldest)])
        }
    }

    // MARK: Helpers

    /// Runs `body` in the next group commit's transaction.
    func write<Value: Sendable>(_ body: @escaping @Sendable (SQLiteDatabase) throws(SQLiteDatabase.Failure) -> Value)
        async throws(StoreError) -> Value
    {
        try await connection.write { open throws(SQLiteDatabase.Failure) in try body(open.database) }
    }

    /// Runs `body` on the open database.
    func read<Value>(_ body: (SQLiteDatabase) throws(SQLiteDatabase.Failure) -> Value) throws(StoreError) -> Value {
        try connection.read { open throws(SQLiteDatabase.Failure) in try body(open.database) }
    }
}
