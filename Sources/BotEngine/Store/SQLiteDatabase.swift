import CSQLite

/// One SQLite connection with its prepared statements. Only what the store needs: execute,
/// prepared statements with positional parameters, rows read column by column, and errors that
/// name what failed.
///
/// `@unchecked Sendable`: the connection is opened `NOMUTEX` and is not thread-safe by itself.
/// Its one owner, ``SQLiteStore``, keeps it inside a `Mutex` and uses it only within that lock's
/// closures, which never let the reference out; so one thread at a time uses it.
final class SQLiteDatabase: @unchecked Sendable {
    private let handle: OpaquePointer
    private var statements: [String: OpaquePointer] = [:]

    /// Why an SQLite call failed: the result code (extended) and SQLite's message.
    struct Failure: Error, CustomStringConvertible {
        var code: Int32
        var message: String
        var description: String { "\(message) (SQLite code \(code))" }

        /// The store's error for it, so status can say what the operator must do.
        var storeError: StoreError {
            let kind: StoreError.Kind
            switch code & 0xff {
            case SQLITE_BUSY, SQLITE_LOCKED: kind = .locked
            case SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_FORMAT: kind = .corrupt
            case SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN: kind = .readOnly
            case SQLITE_FULL: kind = .full
            default: kind = .failed
            }
            return StoreError(kind, "SQLite: \(description)")
        }
    }

    /// Opens (creating) the database at `path`.
    init(path: String) throws(Failure) {
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil)
        guard code == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            sqlite3_close_v2(opened)
            throw Failure(code: code, message: message)
        }
        sqlite3_extended_result_codes(opened, 1)
        handle = opened
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    /// Runs SQL that returns no rows (several statements allowed).
    func execute(_ sql: String) throws(Failure) {
        let code = sqlite3_exec(handle, sql, nil, nil, nil)
        guard code == SQLITE_OK else { throw failure(code) }
    }

    /// Runs a prepared statement with `parameters` and calls `row` for each row.
    func query(_ sql: String, _ parameters: [Value] = [], row: (Row) throws(Failure) -> Void = { _ in }) throws(Failure) {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, parameter) in parameters.enumerated() {
            let position = Int32(index + 1)
            let code: Int32
            switch parameter {
            case .integer(let value): code = sqlite3_bind_int64(statement, position, value)
            case .text(let value): code = sqlite3_bind_text(statement, position, value, -1, Self.transient)
            case .blob(let bytes):
                code = bytes.withUnsafeBytes { sqlite3_bind_blob(statement, position, $0.baseAddress, Int32($0.count), Self.transient) }
            case .null: code = sqlite3_bind_null(statement, position)
            }
            guard code == SQLITE_OK else { throw failure(code) }
        }
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else { throw failure(code) }
            try row(Row(statement: statement))
        }
    }

    /// The first column of the first row, as an integer.
    func integer(_ sql: String, _ parameters: [Value] = []) throws(Failure) -> Int64? {
        var result: Int64?
        try query(sql, parameters) { row in if result == nil { result = row.integerOrNil(0) } }
        return result
    }

    /// Rows changed by the last statement.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Runs `body` in one transaction (`BEGIN IMMEDIATE`: the write lock first, so it cannot
    /// fail halfway for want of it), rolled back when it throws.
    /// The three statements are prepared once, like the rest: `sqlite3_exec` would parse them
    /// again for every transaction.
    func transaction<Result>(_ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        try query("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try query("COMMIT")
            return result
        } catch {
            try? query("ROLLBACK")
            throw error
        }
    }

    /// A parameter.
    enum Value {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    /// The current row of a statement being stepped.
    struct Row {
        fileprivate let statement: OpaquePointer

        func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

        func integerOrNil(_ column: Int32) -> Int64? {
            sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : integer(column)
        }

        func bytes(_ column: Int32) -> [UInt8] {
            let count = Int(sqlite3_column_bytes(statement, column))
            guard count > 0, let base = sqlite3_column_blob(statement, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: base, count: count))
        }
    }

    private func prepared(_ sql: String) throws(Failure) -> OpaquePointer {
        if let statement = statements[sql] { return statement }
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw failure(code) }
        statements[sql] = statement
        return statement
    }

    private func failure(_ code: Int32) -> Failure {
        Failure(code: code, message: String(cString: sqlite3_errmsg(handle)))
    }

    /// `SQLITE_TRANSIENT`: SQLite copies a bound value before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
