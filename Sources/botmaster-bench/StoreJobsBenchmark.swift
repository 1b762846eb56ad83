import BotEngine
import BotRedis
import BotmasterIPC
import BotmasterSystem
import RedisServerFixture

/// Jobs through a bot store: per job what a bot worker does in its store — the intake (dedup,
/// offset, batch, with quiet 0 the job), the consumer's take (up to 100 at a time), and the
/// finish (the sent reply's idempotency record with the acknowledgement). Every bot has a store
/// of its own (for Redis its own two connections to a real `redis-server` on loopback, for
/// SQLite its own database file in a temporary home), as its own worker process would; handlers
/// and Bot API calls are left out (they are the webhook rows' subject).
struct StoreJobsBenchmark {
    let store: BotSettings.Store
    let bots: Int
    let jobs: Int
    /// A poller's intake (a poll's 100 updates in one pipeline) or webhook deliveries (8 in
    /// parallel per bot, one intake each).
    let polling: Bool
    /// Redis only: every store runs with a cluster fencing epoch, so every script checks it
    /// (what each step costs in cluster mode).
    var fenced = false

    struct Result {
        var jobsPerSecond: Double
        /// Redis only.
        var roundTripsPerJob: Double?
    }

    static func item(_ index: Int, batch: BotSettings.Batch, after: Int64?) -> IntakeItem {
        let update = Int64(index + 1)
        let message = JobMessage(
            updateID: update, messageID: update, text: "hello there", userID: 7, firstName: "Ann", chatType: "private")
        return IntakeItem(
            updateID: update, chatID: Int64(index % 1000 + 1), messageID: update, dedupWindowMs: 30_000,
            action: .batch(message, batch), after: after)
    }

    func run() async throws -> Result {
        var server: RedisServerProcess?
        let home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-bench-store-")
        defer {
            server?.tearDown()
            FileSystem.removeTree(home)
        }
        let states: [any BotStore]
        switch store {
        case .redis:
            let redis = try RedisServerProcess()
            server = redis
            if fenced {
                let admin = RedisClient(url: redis.url)
                for bot in 0..<bots { _ = try await admin.command("SET", RedisKeys(fleet: "bench", bot: "bot\(bot)").epoch, "1") }
                await admin.shutdown()
            }
            states = (0..<bots).map { RedisStore(url: redis.url, fleet: "bench", bot: "bot\($0)", epoch: fenced ? 1 : nil) }
        case .sqlite: states = (0..<bots).map { SQLiteStore(path: SQLiteStore.path(home: home, bot: "bot\($0)")) }
        case .memory: states = (0..<bots).map { _ in MemoryStore() }
        }
        for state in states { _ = try await state.open() }
        let perBot = jobs / bots
        let quietZero = BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)
        let roundTrips = { states.reduce(0) { $0 + (($1 as? RedisStore)?.roundTrips ?? 0) } }
        let tripsBefore = roundTrips()
        let started = MonotonicTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for state in states {
                if polling {
                    // A poller: each getUpdates answer (up to 100 updates) in one intake pipeline.
                    group.addTask {
                        for chunk in stride(from: 0, to: perBot, by: 100) {
                            var previous: Int64?
                            let items = (chunk..<min(chunk + 100, perBot)).map { index in
                                let item = Self.item(index, batch: quietZero, after: previous)
                                previous = item.updateID
                                return item
                            }
                            for result in try await state.intake(items) { _ = try result.get() }
                        }
                    }
                } else {
                    // Webhook deliveries: 8 at a time per bot, each its own intake.
                    for lane in 0..<8 {
                        group.addTask {
                            for index in stride(from: lane, to: perBot, by: 8) {
                                let item = Self.item(index, batch: quietZero, after: nil)
                                var delivery = item
                                delivery.polled = false
                                _ = try await state.intake([delivery])[0].get()
                            }
                        }
                    }
                }
                group.addTask {
                    var finished = 0
                    while finished < perBot {
                        let taken = try await state.take(count: 100, wait: .milliseconds(50))
                        // Jobs finish as their handlers do: concurrently, sharing round trips.
                        try await withThrowingTaskGroup(of: Void.self) { finishing in
                            for var job in taken {
                                job.stepsDone.insert(0)
                                job.unrecordedSteps = [(0, 1)]
                                let done = job
                                finishing.addTask { try await state.finish(done) }
                            }
                            try await finishing.waitForAll()
                        }
                        finished += taken.count
                    }
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9
        let trips = roundTrips() - tripsBefore
        for state in states { await state.close() }
        return Result(
            jobsPerSecond: Double(perBot * bots) / seconds,
            roundTripsPerJob: store == .redis ? Double(trips) / Double(perBot * bots) : nil)
    }
}
