import BotmasterIPC
import BotmasterSystem
import Testing

@testable import BotEngine

/// What only the SQLite store has: one owner at a time, and a database it cannot use reported
/// as such (never a crash, never a silent fresh start over the old state).
@Suite struct SQLiteStoreTests {
    @Test func aSuccessorCannotOpenWhileItsPredecessorStillHoldsTheDatabase() async throws {
        let fixture = try StoreFixture(.sqlite)
        let first = fixture.store()
        _ = try await first.open()
        let successor = fixture.store()
        await #expect(throws: StoreError.self) { _ = try await successor.open() }
        do {
            _ = try await successor.open()
        } catch {
            #expect(error.kind == .locked)
        }
        await first.close()
        _ = try await successor.open()
        await successor.close()
    }

    /// The worker is the database's only user (the lock file sees to that), so it holds SQLite's
    /// locks from open to close: no shared-memory index beside the file, and no other
    /// connection reads it meanwhile.
    @Test func anOpenStoreKeepsItsDatabaseToItself() async throws {
        let fixture = try StoreFixture(.sqlite)
        let path = SQLiteStore.path(home: fixture.home, bot: "bot")
        let store = fixture.store()
        _ = try await store.open()
        #expect(FileSystem.exists(path + "-wal"))
        #expect(!FileSystem.exists(path + "-shm"), "the WAL index is in the worker's memory")
        let other = try SQLiteDatabase(path: path)
        do {
            _ = try other.integer("SELECT count(*) FROM job")
            Issue.record("another connection read a database the store holds")
        } catch {
            #expect(error.storeError.kind == .locked, "\(error)")
        }
        await store.close()
        #expect(try other.integer("SELECT count(*) FROM job") == 0)
    }

    @Test func aFileThatIsNotADatabaseIsReportedAsCorruptAndLeftAlone() async throws {
        let fixture = try StoreFixture(.sqlite)
        let path = SQLiteStore.path(home: fixture.home, bot: "bot")
        try FileSystem.createDirectory(String(path[..<path.lastIndex(of: "/")!]))
        let garbage = Array(repeating: UInt8(ascii: "x"), count: 8192)
        try FileSystem.writeFileAtomically(path, garbage)
        let store = fixture.store()
        do {
            _ = try await store.open()
            Issue.record("opened a file that is not a database")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message.contains(path))
        }
        #expect(FileSystem.readFile(path) == garbage, "the file is not overwritten")
    }

    @Test func aDatabaseFromANewerBotworkerIsRefused() async throws {
        let fixture = try StoreFixture(.sqlite)
        let store = fixture.store()
        _ = try await store.open()
        await store.close()
        do {
            // Closed again before the store opens: the store holds its database to itself.
            let database = try SQLiteDatabase(path: SQLiteStore.path(home: fixture.home, bot: "bot"))
            try database.execute("PRAGMA user_version = \(SQLiteSchema.currentVersion + 1)")
        }
        let later = fixture.store()
        do {
            _ = try await later.open()
            Issue.record("opened a newer schema")
        } catch {
            #expect(error.kind == .corrupt)
            #expect(error.message.contains("schema version"))
        }
    }

    @Test func aBurstOfUpdatesIsOneTransactionAndSurvivesTheProcess() async throws {
        let fixture = try StoreFixture(.sqlite)
        let store = fixture.store()
        _ = try await store.open()
        var previous: Int64?
        let items = (Int64(1)...500).map { update -> IntakeItem in
            defer { previous = update }
            return IntakeItem(
                updateID: update, chatID: update % 50, messageID: update, dedupWindowMs: 30_000,
                action: .batch(StoreSamples.message(update, "m\(update)"), StoreSamples.noBatch), after: previous)
        }
        let outcomes = try await store.intake(items)
        #expect(outcomes.allSatisfy { (try? $0.get()) == .queued })
        // No close: the next process finds what the intake committed.
        let successor = SQLiteStore(path: SQLiteStore.path(home: fixture.home, bot: "bot"))
        await store.close()
        #expect(try await successor.open().offset == 501)
        var jobs: [BotJob] = []
        while true {
            let page = try await successor.takeUnfinished(after: jobs.last?.storeID ?? "", count: 100)
            if page.isEmpty { break }
            jobs += page
        }
        #expect(jobs.count == 500)
        #expect(jobs.map(\.mergedText) == items.map { "m\($0.updateID!)" })
        await successor.close()
    }

    /// The store numbers its jobs itself (no AUTOINCREMENT): a queue emptied by finished jobs
    /// must not number the next job below the ones already handed out, in this process or the
    /// next. A finished job leaves no step records (nothing reads them once it is gone).
    @Test func jobsQueuedAfterTheQueueEmptiedAreTakenAndFinishedOnesLeaveNoStepRecords() async throws {
        let fixture = try StoreFixture(.sqlite)
        let path = SQLiteStore.path(home: fixture.home, bot: "bot")
        for round in Int64(0)..<2 {
            let store = fixture.store()
            _ = try await store.open()
            for update in (round * 10 + 1)...(round * 10 + 3) {
                _ = try await store.intake(
                    updateID: update, chatID: update, messageID: update, dedupWindowMs: 0,
                    action: .batch(StoreSamples.message(update, "m\(update)"), StoreSamples.noBatch))
            }
            for var job in try await store.take(count: 10, wait: .zero) {
                job.stepsDone.insert(0)
                job.unrecordedSteps = [(0, 900 + round)]
                try await store.finish(job)
            }
            let late = round * 10 + 4
            _ = try await store.intake(
                updateID: late, chatID: 1, messageID: late, dedupWindowMs: 0,
                action: .batch(StoreSamples.message(late, "late"), StoreSamples.noBatch))
            let taken = try await store.take(count: 10, wait: .zero)
            #expect(taken.map(\.mergedText) == ["late"], "round \(round)")
            for job in taken { try await store.finish(job) }
            await store.close()
        }
        let database = try SQLiteDatabase(path: path)
        #expect(try database.integer("SELECT count(*) FROM job") == 0)
        #expect(try database.integer("SELECT count(*) FROM sent") == 0)
    }

    /// A database written by a botworker before the store numbered its own jobs keeps its queue
    /// through the migration, in order, and the jobs queued after it come after them.
    @Test func aQueueFromTheEarlierSchemaIsKeptThroughTheMigration() async throws {
        let fixture = try StoreFixture(.sqlite)
        let path = SQLiteStore.path(home: fixture.home, bot: "bot")
        try FileSystem.createDirectory(String(path[..<path.lastIndex(of: "/")!]))
        do {
            let database = try SQLiteDatabase(path: path)
            for sql in SQLiteSchema.migrations.prefix(2) { try database.execute(sql) }
            try database.execute("PRAGMA user_version = 2")
            for (update, text) in [(Int64(1), "a"), (2, "b"), (3, "c")] {
                let job = BotJob(chatID: update, kind: .batch, messages: [StoreSamples.message(update, text)])
                try database.query("INSERT INTO job(document) VALUES (?)", [.blob(job.document)])
            }
            try database.query("DELETE FROM job WHERE id = 2")
            #expect(try database.integer("SELECT seq FROM sqlite_sequence WHERE name = 'job'") == 3)
        }
        let store = fixture.store()
        _ = try await store.open()
        let unfinished = try await store.takeUnfinished(after: "", count: 10)
        #expect(unfinished.map(\.mergedText) == ["a", "c"])
        #expect(unfinished.map(\.storeID) == ["1", "3"])
        _ = try await store.intake(
            updateID: 4, chatID: 4, messageID: 4, dedupWindowMs: 0, action: .batch(StoreSamples.message(4, "d"), StoreSamples.noBatch))
        let fresh = try await store.take(count: 10, wait: .zero)
        #expect(fresh.map(\.mergedText) == ["d"])
        #expect(fresh.map(\.storeID) == ["4"])
        await store.close()
        let database = try SQLiteDatabase(path: path)
        #expect(try database.integer("PRAGMA user_version") == SQLiteSchema.currentVersion)
        #expect(try database.integer("SELECT count(*) FROM sqlite_sequence WHERE name = 'job'") == 0)
    }

    /// The store gives the heap back after a migration, and only then: `migrate` says how many
    /// it ran — all of them on a new database, none on one already current.
    @Test func migrateCountsTheMigrationsItRan() throws {
        let fixture = try StoreFixture(.sqlite)
        let path = SQLiteStore.path(home: fixture.home, bot: "bot")
        try FileSystem.createDirectory(String(path[..<path.lastIndex(of: "/")!]))
        let database = try SQLiteDatabase(path: path)
        #expect(try SQLiteSchema.migrate(database) == SQLiteSchema.migrations.count)
        #expect(try SQLiteSchema.migrate(database) == 0)
    }
}
