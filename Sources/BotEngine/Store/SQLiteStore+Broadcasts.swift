import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Broadcasts in the bot's database: tables `broadcast` and `broadcast_chat` (``SQLiteSchema``).
/// An outcome is one row update in the group commit of its moment, so 1,000 sends a second cost
/// a few commits a second, not a thousand.
extension SQLiteStore {
    package func createBroadcast(_ draft: BroadcastInfo, audience: BroadcastAudience) async throws(StoreError) -> BroadcastInfo {
        let document = BroadcastRules.document(draft)
        return try await write { database throws(SQLiteDatabase.Failure) -> BroadcastInfo in
            try database.query("INSERT INTO broadcast(document, state) VALUES (?, 'queued')", [.blob(document)])
            guard let id = try database.integer("SELECT last_insert_rowid()") else { return draft }
            switch audience {
            case .chats(let chats):
                for (position, chat) in BroadcastRules.distinct(chats).enumerated() {
                    try database.query(
                        "INSERT INTO broadcast_chat(broadcast, position, chat) VALUES (?, ?, ?)",
                        [.integer(id), .integer(Int64(position)), .integer(chat)])
                }
            case .known:
                try database.query(
                    """
                    INSERT INTO broadcast_chat(broadcast, position, chat)
                    SELECT ?, row_number() OVER (ORDER BY id) - 1, id FROM chat WHERE blocked = 0
                    """, [.integer(id)])
            }
            let total = try database.integer("SELECT count(*) FROM broadcast_chat WHERE broadcast = ?", [.integer(id)]) ?? 0
            var info = draft
            info.id = "\(id)"
            info.total = Int(total)
            info.state = .queued
            try database.query("UPDATE broadcast SET document = ? WHERE id = ?", [.blob(BroadcastRules.document(info)), .integer(id)])
            try Self.forgetOldBroadcasts(in: database)
            return info
        }
    }

    /// Drops the oldest finished broadcasts beyond the kept number, with their audiences.
    private static func forgetOldBroadcasts(in database: SQLiteDatabase) throws(SQLiteDatabase.Failure) {
        let count = try database.integer("SELECT count(*) FROM broadcast") ?? 0
        guard count > StoreLimits.keptBroadcasts else { return }
        var old: [Int64] = []
        try database.query(
            "SELECT id FROM broadcast WHERE state IN ('done', 'cancelled') ORDER BY id LIMIT ?",
            [.integer(count - Int64(StoreLimits.keptBroadcasts))]
        ) { row in old.append(row.integer(0)) }
        for id in old {
            try database.query("DELETE FROM broadcast_chat WHERE broadcast = ?", [.integer(id)])
            try database.query("DELETE FROM broadcast WHERE id = ?", [.integer(id)])
        }
    }

    package func broadcasts() async throws(StoreError) -> [StoredBroadcast] {
        let rows = try read { database throws(SQLiteDatabase.Failure) in
            var rows: [(document: [UInt8], state: String, cursor: Int64, counts: BroadcastCounts, started: Int64?, finished: Int64?)] = []
            try database.query(
                "SELECT document, state, cursor, sent, blocked, invalid, failed, started_ms, finished_ms FROM broadcast ORDER BY id"
            ) { row in
                let counts = BroadcastCounts(
                    sent: Int(row.integer(3)), blocked: Int(row.integer(4)), invalid: Int(row.integer(5)), failed: Int(row.integer(6)))
                rows.append(
                    (
                        row.bytes(0), String(decoding: row.bytes(1), as: UTF8.self), row.integer(2), counts, row.integerOrNil(7),
                        row.integerOrNil(8)
                    ))
            }
            return rows
        }
        let decoder = JSONDecoder()
        return rows.compactMap { row in
            guard var info = try? decoder.decode(BroadcastInfo.self, from: Data(row.document)) else { return nil }
            info.state = BroadcastState(rawValue: row.state) ?? .paused
            info.counts = row.counts
            info.startedMs = row.started
            info.finishedMs = row.finished
            return StoredBroadcast(info: info, cursor: Int(row.cursor))
        }
    }

    package func setBroadcastState(_ id: String, to state: BroadcastState, atMs: Int64) async throws(StoreError) -> Bool {
        guard let number = Int64(id) else { return false }
        return try await write { database throws(SQLiteDatabase.Failure) -> Bool in
            try database.query(
                """
                UPDATE broadcast SET state = ?,
                  started_ms = CASE WHEN ? = 'running' THEN coalesce(started_ms, ?) ELSE started_ms END,
                  finished_ms = CASE WHEN ? IN ('done', 'cancelled') THEN ? ELSE finished_ms END
                WHERE id = ?
                """,
                [.text(state.rawValue), .text(state.rawValue), .integer(atMs), .text(state.rawValue), .integer(atMs), .integer(number)])
            return database.changes == 1
        }
    }

    package func broadcastTargets(_ id: String, from: Int, count: Int) async throws(StoreError) -> [BroadcastTarget] {
        guard let number = Int64(id) else { return [] }
        return try read { database throws(SQLiteDatabase.Failure) in
            var targets: [BroadcastTarget] = []
            try database.query(
                "SELECT position, chat, outcome IS NOT NULL FROM broadcast_chat WHERE broadcast = ? AND position >= ? ORDER BY position LIMIT ?",
                [.integer(number), .integer(Int64(from)), .integer(Int64(count))]
            ) { row in targets.append(BroadcastTarget(position: Int(row.integer(0)), chat: row.integer(1), done: row.integer(2) != 0)) }
            return targets
        }
    }

    package func recordBroadcastOutcome(_ id: String, _ outcome: BroadcastOutcome, cursor: Int) async throws(StoreError) {
        guard let number = Int64(id) else { return }
        try await write { database throws(SQLiteDatabase.Failure) in
            try database.query(
                "UPDATE broadcast_chat SET outcome = ?, reason = ? WHERE broadcast = ? AND position = ? AND outcome IS NULL",
                [
                    .text(outcome.kind.rawValue), outcome.reason.map { .text($0) } ?? .null, .integer(number),
                    .integer(Int64(outcome.position)),
                ])
            guard database.changes == 1 else { return }
            // The column is the outcome's own name: one of four fixed words, never input.
            try database.query(
                "UPDATE broadcast SET \(outcome.kind.rawValue) = \(outcome.kind.rawValue) + 1, cursor = max(cursor, ?) WHERE id = ?",
                [.integer(Int64(cursor)), .integer(number)])
            if outcome.kind == .blocked {
                try database.query(
                    "INSERT INTO chat(id, blocked) VALUES (?, 1) ON CONFLICT(id) DO UPDATE SET blocked = 1", [.integer(outcome.chat)])
            }
        }
    }

    package func broadcastFailures(_ id: String, limit: Int) async throws(StoreError) -> [BroadcastFailure] {
        guard let number = Int64(id) else { return [] }
        return try read { database throws(SQLiteDatabase.Failure) in
            var failures: [BroadcastFailure] = []
            try database.query(
                """
                SELECT chat, outcome, coalesce(reason, '') FROM broadcast_chat
                WHERE broadcast = ? AND outcome IS NOT NULL AND outcome != 'sent' ORDER BY position LIMIT ?
                """, [.integer(number), .integer(Int64(limit))]
            ) { row in
                let kind = BroadcastOutcomeKind(rawValue: String(decoding: row.bytes(1), as: UTF8.self)) ?? .failed
                failures.append(
                    BroadcastFailure(chat: row.integer(0), outcome: kind, reason: String(decoding: row.bytes(2), as: UTF8.self)))
            }
            return failures
        }
    }
}
