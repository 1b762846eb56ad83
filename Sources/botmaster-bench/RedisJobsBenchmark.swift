import BotEngine
import BotRedis
import BotmasterIPC
import BotmasterSystem
import RedisServerFixture

/// Jobs through the runtime's Redis backend, with a real `redis-server` on loopback: per job
/// what a bot worker does in Redis — the intake script (dedup, offset, batch, with quiet 0 the
/// job's `XADD`), the consumer's `XREADGROUP` (up to 100 at a time), and the finish (the sent
/// reply's idempotency `SET NX` with `XACK` + `XDEL`). Every bot has its own two connections,
/// as its own worker process would; handlers and Bot API calls are left out (they are the
/// webhook rows' subject).
struct RedisJobsBenchmark {
    let bots: Int
    let jobs: Int
    /// A poller's intake (a poll's 100 updates in one pipeline) or webhook deliveries (8 in
    /// parallel per bot, one intake each).
    let polling: Bool

    struct Result {
        var jobsPerSecond: Double
        var roundTripsPerJob: Double
    }

    static func item(_ index: Int, batch: BotSettings.Batch, after: Int64?) -> RedisBotState.IntakeItem {
        let update = Int64(index + 1)
        let message = JobMessage(
            updateID: update, messageID: update, text: "hello there", userID: 7, firstName: "Ann", chatType: "private")
        return RedisBotState.IntakeItem(
            updateID: update, chatID: Int64(index % 1000 + 1), messageID: update, dedupWindowMs: 30_000,
            action: .batch(message, batch), after: after)
    }

    func run() async throws -> Result {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let states = (0..<bots).map { RedisBotState(url: server.url, fleet: "bench", bot: "bot\($0)") }
        for state in states { _ = try await state.prepare() }
        let perBot = jobs / bots
        let quietZero = BotSettings.Batch(quietMs: 0, maxMessages: 10, maxWaitMs: 1000)
        let tripsBefore = states.reduce(0) { $0 + $1.roundTrips }
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
                        let taken = try await state.take(pending: false, count: 100, block: .milliseconds(50))
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
        let trips = states.reduce(0) { $0 + $1.roundTrips } - tripsBefore
        for state in states { await state.shutdown() }
        return Result(jobsPerSecond: Double(perBot * bots) / seconds, roundTripsPerJob: Double(trips) / Double(perBot * bots))
    }
}
