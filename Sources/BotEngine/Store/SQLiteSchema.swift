/// The SQLite store's schema, versioned by `PRAGMA user_version`: migration N takes a database
/// from version N-1 to N, in one transaction with the version bump. A database newer than this
/// worker knows is refused (``SQLiteStore`` reports it) rather than guessed at.
///
/// | table | what |
/// |---|---|
/// | `meta` | `offset`: the next `getUpdates` offset (one past the highest update kept) |
/// | `seen` | dedup marks (`u:<update>`, `m:<chat>:<message>`) until `expires_ms` |
/// | `batch` | each chat's open rapid-fire batch: its messages as comma-joined JSON, first and due times |
/// | `job` | the job queue, in id order (the store hands out ids above any it handed out before, see ``SQLiteStore``) |
/// | `retry` | failed jobs waiting for their next attempt, by due time |
/// | `dead` | dead letters (the last 1000), with job, last error and attempts |
/// | `sent` | sent steps (idempotency): job key, step, the reply's message id |
/// | `handoff` | chats handed to the operator |
/// | `thread` | operator-chat message → the user chat it is about |
/// | `chat` | chats the bot took an update from, and whether each blocked it (403 to a broadcast) |
/// | `broadcast` | broadcasts: the document (message, audience, rate, total), state, cursor, counts, times |
/// | `broadcast_chat` | each broadcast's audience by position, with each chat's outcome and reason once it has one |
///
/// Times are wall-clock milliseconds, so they survive a restart of the worker and of the host.
enum SQLiteSchema {
    static let migrations: [String] = [
        """
        CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE seen(mark TEXT PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
        CREATE INDEX seen_expiry ON seen(expires_ms);
        CREATE TABLE batch(
          chat INTEGER PRIMARY KEY, first_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL,
          count INTEGER NOT NULL, messages TEXT NOT NULL);
        CREATE TABLE job(id INTEGER PRIMARY KEY AUTOINCREMENT, document BLOB NOT NULL);
        CREATE TABLE retry(id INTEGER PRIMARY KEY AUTOINCREMENT, due_ms INTEGER NOT NULL, document BLOB NOT NULL);
        CREATE INDEX retry_due ON retry(due_ms);
        CREATE TABLE dead(id INTEGER PRIMARY KEY AUTOINCREMENT, document BLOB NOT NULL);
        CREATE TABLE sent(
          job TEXT NOT NULL, step INTEGER NOT NULL, message_id INTEGER NOT NULL, at_ms INTEGER NOT NULL,
          PRIMARY KEY(job, step)) WITHOUT ROWID;
        CREATE INDEX sent_age ON sent(at_ms);
        CREATE TABLE handoff(chat INTEGER PRIMARY KEY);
        CREATE TABLE thread(message INTEGER PRIMARY KEY, chat INTEGER NOT NULL, at_ms INTEGER NOT NULL);
        CREATE INDEX thread_age ON thread(at_ms);
        """,
        """
        CREATE TABLE chat(id INTEGER PRIMARY KEY, blocked INTEGER NOT NULL DEFAULT 0);
        CREATE TABLE broadcast(
          id INTEGER PRIMARY KEY AUTOINCREMENT, document BLOB NOT NULL, state TEXT NOT NULL,
          cursor INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0, blocked INTEGER NOT NULL DEFAULT 0,
          invalid INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0, started_ms INTEGER, finished_ms INTEGER);
        CREATE TABLE broadcast_chat(
          broadcast INTEGER NOT NULL, position INTEGER NOT NULL, chat INTEGER NOT NULL, outcome TEXT, reason TEXT,
          PRIMARY KEY(broadcast, position)) WITHOUT ROWID;
        """,
        // The job table without AUTOINCREMENT: its counter lives in `sqlite_sequence`, a page
        // more for every transaction that queues a job. The store numbers jobs itself.
        """
        CREATE TABLE job_numbered(id INTEGER PRIMARY KEY, document BLOB NOT NULL);
        INSERT INTO job_numbered(id, document) SELECT id, document FROM job;
        DROP TABLE job;
        ALTER TABLE job_numbered RENAME TO job;
        DELETE FROM sqlite_sequence WHERE name = 'job';
        """,
    ]

    static var currentVersion: Int64 { Int64(migrations.count) }

    /// Brings the database to ``currentVersion``; returns how many migrations it ran.
    @discardableResult
    static func migrate(_ database: SQLiteDatabase) throws(SQLiteStore.OpenFailure) -> Int {
        let version: Int64
        do {
            version = try database.integer("PRAGMA user_version") ?? 0
        } catch {
            throw .database(error)
        }
        guard version <= currentVersion else { throw .newerSchema(version) }
        var ran = 0
        for (index, sql) in migrations.enumerated() where Int64(index + 1) > version {
            ran += 1
            do {
                try database.transaction { () throws(SQLiteDatabase.Failure) in
                    try database.execute(sql)
                    try database.execute("PRAGMA user_version = \(index + 1)")
                }
            } catch {
                throw .database(error)
            }
        }
        return ran
    }
}
