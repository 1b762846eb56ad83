import BotRedis
import BotmasterIPC
import BotmasterSystem
import Foundation
import RedisServerFixture

@testable import BotEngine

/// Stores of one kind for a test: Redis on a real `redis-server` of its own, SQLite in a
/// temporary home, memory. Cleans up after itself.
final class StoreFixture {
    let kind: BotSettings.Store
    let home: String
    private(set) var server: RedisServerProcess?
    private var redisStores: [RedisStore] = []

    init(_ kind: BotSettings.Store) throws {
        self.kind = kind
        home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-store-tests-")
        if kind == .redis { server = try RedisServerProcess() }
    }

    /// The fencing epoch of the Redis stores, made the bot's as a master in cluster mode would.
    static let epoch: Int64 = 1

    /// `SET <key> <epoch>` with redis-cli: `store(_:fleet:)` is synchronous.
    private static func setEpoch(_ key: String, on server: RedisServerProcess) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        process.arguments = ["-p", "\(server.port)", "SET", key, "\(epoch)"]
        process.standardOutput = FileHandle.nullDevice
        try? process.run()
        process.waitUntilExit()
    }

    deinit {
        // Clients first (their threads), then the server.
        for store in redisStores { store.syncShutdown() }
        server?.tearDown()
        FileSystem.removeTree(home)
    }

    /// A store for `bot`: for SQLite and Redis the same state as every other store of that bot
    /// (a successor process's view); for memory a new, empty one.
    func store(_ bot: String = "bot", fleet: String = "tests") -> any BotStore {
        switch kind {
        case .memory: return MemoryStore()
        case .sqlite: return SQLiteStore(path: SQLiteStore.path(home: home, bot: bot))
        case .redis:
            // Fenced, as in cluster mode: every step also passes the epoch check (the
            // unfenced paths have RedisStoreTests and the end-to-end tests).
            Self.setEpoch(RedisKeys(fleet: fleet, bot: bot).epoch, on: server!)
            let store = RedisStore(url: server!.url, fleet: fleet, bot: bot, epoch: Self.epoch)
            redisStores.append(store)
            return store
        }
    }
}

extension BotStore {
    /// One item's intake.
    func intake(
        updateID: Int64?, chatID: Int64, messageID: Int64?, dedupWindowMs: Int, action: IntakeAction, polled: Bool = true
    ) async throws -> IntakeOutcome {
        let item = IntakeItem(
            updateID: updateID, chatID: chatID, messageID: messageID, dedupWindowMs: dedupWindowMs, action: action, polled: polled)
        return try await intake([item])[0].get()
    }

    /// One chat's due-batch check.
    func flush(chatID: Int64, force: Bool) async throws -> FlushOutcome {
        try await flush(chatIDs: [chatID], force: force)[0].get()
    }
}

enum StoreSamples {
    static func message(_ update: Int64, _ text: String) -> JobMessage {
        JobMessage(updateID: update, messageID: update + 1000, text: text, userID: 7, firstName: "Ann", chatType: "private")
    }

    static let slowBatch = BotSettings.Batch(quietMs: 60_000, maxMessages: 10, maxWaitMs: 120_000)
    static let noBatch = BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)
}
