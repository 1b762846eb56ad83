import BotmasterSystem
import Synchronization
import Testing

@testable import BotEngine

/// Group commits on a real database file: concurrent writes share transactions, each caller
/// gets its own value, a write that fails fails alone, and the state changes of a failed
/// write are not kept.
@Suite struct SQLiteGroupCommitTests {
    struct State: SQLiteConnectionState {
        let database: SQLiteDatabase
        var written = 0
    }

    static func open() throws -> (SQLiteGroupCommit<State>, String) {
        let home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-group-commit-")
        let database = try SQLiteDatabase(path: "\(home)/test.sqlite")
        try database.query("PRAGMA journal_mode = WAL")
        try database.execute("CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL)")
        let group = SQLiteGroupCommit<State>(closedError: StoreError(.unavailable, "closed"))
        group.withState { $0 = State(database: database) }
        return (group, home)
    }

    @Test func concurrentWritesAllCommitAndEachGetsItsOwnValue() async throws {
        let (group, home) = try Self.open()
        defer { FileSystem.removeTree(home) }
        let values = try await withThrowingTaskGroup(of: (Int, Int64).self) { tasks in
            for index in 0..<500 {
                tasks.addTask {
                    let id = try await group.write { state throws(SQLiteDatabase.Failure) -> Int64 in
                        try state.database.query("INSERT INTO item(name) VALUES (?)", [.text("n\(index)")])
                        state.written += 1
                        return try state.database.integer("SELECT id FROM item WHERE name = ?", [.text("n\(index)")]) ?? -1
                    }
                    return (index, id)
                }
            }
            return try await tasks.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
        }
        #expect(values.count == 500)
        #expect(Set(values.values).count == 500, "every caller got the id of its own row")
        let count = try group.read { state throws(SQLiteDatabase.Failure) in try state.database.integer("SELECT count(*) FROM item") }
        #expect(count == 500)
        #expect(try group.read { state throws(SQLiteDatabase.Failure) in state.written } == 500)
    }

    @Test func aWriteThatFailsFailsAloneAndLeavesNoTrace() async throws {
        let (group, home) = try Self.open()
        defer { FileSystem.removeTree(home) }
        let outcomes = await withTaskGroup(of: (String, Bool).self) { tasks in
            // "twice" is inserted by two writes: whichever comes second breaks the UNIQUE rule.
            for name in (0..<50).map({ "n\($0)" }) + ["twice", "twice"] {
                tasks.addTask {
                    do {
                        try await group.write { state throws(SQLiteDatabase.Failure) in
                            state.written += 1
                            try state.database.query("INSERT INTO item(name) VALUES (?)", [.text(name)])
                        }
                        return (name, true)
                    } catch {
                        #expect((error as? StoreError)?.kind == .failed)
                        return (name, false)
                    }
                }
            }
            return await tasks.reduce(into: [(String, Bool)]()) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0.1 }.map { $0.0 } == ["twice"])
        let count = try group.read { state throws(SQLiteDatabase.Failure) in try state.database.integer("SELECT count(*) FROM item") }
        #expect(count == 51)
        #expect(
            try group.read { state throws(SQLiteDatabase.Failure) in state.written } == 51, "the failed write's state change is dropped")
    }

    @Test func writesWhileClosedGetTheClosedError() async throws {
        let (group, home) = try Self.open()
        defer { FileSystem.removeTree(home) }
        group.withState { $0 = nil }
        await #expect(throws: StoreError.self) {
            try await group.write { _ throws(SQLiteDatabase.Failure) in }
        }
    }
}
