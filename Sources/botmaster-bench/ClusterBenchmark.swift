import BotRedis
import BotmasterControl
import BotmasterSystem
import Glibc
import RedisServerFixture

/// What cluster mode costs Redis: `masters` real masters sharing one real `redis-server`, each
/// defining the same `workers` reference workers (plain heartbeating processes, which never
/// touch Redis, so every command counted is membership, leases and the status view), the
/// bots split between them; then the Redis commands per second over `seconds` of steady state.
struct ClusterRedisLoad {
    let masters: Int
    let workers: Int
    let seconds: Int

    struct Result {
        /// Commands per second counted by `INFO commandstats`, those run inside scripts too.
        var callsPerSecond: Double
        /// From the first master's start until every worker ran on one of them.
        var splitDuration: Duration
        /// The commands that made up the calls, most first, with their calls per second.
        var breakdown: [(command: String, perSecond: Double)]
    }

    func run() async throws -> Result {
        let redis = try RedisServerProcess()
        var fleets: [BenchmarkFleet] = []
        defer {
            for fleet in fleets { fleet.tearDown(keepHome: false) }
            redis.tearDown()
        }
        let started = MonotonicTime.now()
        for index in 0..<masters {
            let fleet = try BenchmarkFleet(workers: workers)
            fleet.environment = [
                "REDIS_URL": redis.urlText, "BOTMASTER_CLUSTER": "1", "BOTMASTER_NODE": "node\(index)", "BOTMASTER_FLEET": "bench-cluster",
            ]
            try fleet.startMaster()
            fleets.append(fleet)
        }
        // No worker's row: the master line counts what the master runs.
        let probe = ControlRequest(command: "status", id: "-")
        while true {
            let running = fleets.map { (try? $0.client.send(probe).status?.master.workersRunning) ?? 0 }.reduce(0, +)
            if running == workers { break }
            guard MonotonicTime.now() - started < .seconds(300) else {
                throw BenchmarkFleet.Failure(description: "the cluster ran \(running) of \(workers) workers after 300 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let split = MonotonicTime.now() - started
        // Past the hand-overs of the split: only renewals and status views from here on.
        try await Task.sleep(for: .seconds(10))
        let client = RedisClient(url: redis.url)
        defer { client.syncShutdown() }
        let before = try await counters(client)
        let measured = MonotonicTime.now()
        try await Task.sleep(for: .seconds(seconds))
        let after = try await counters(client)
        let elapsed = Double((MonotonicTime.now() - measured).nanosecondsClamped) / 1e9
        let breakdown = after.byCommand.map { ($0.key, Double($0.value - (before.byCommand[$0.key] ?? 0)) / elapsed) }
            .filter { $0.1 > 0 }.sorted { $0.1 > $1.1 }
        return Result(callsPerSecond: Double(after.calls - before.calls) / elapsed, splitDuration: split, breakdown: breakdown)
    }

    /// The calls of every command but INFO, in all and by command.
    private func counters(_ client: RedisClient) async throws -> (calls: Int, byCommand: [String: Int]) {
        let commandStats = try await client.command("INFO", "commandstats").string ?? ""
        var calls = 0
        var byCommand: [String: Int] = [:]
        for line in commandStats.split(whereSeparator: \.isNewline) where line.hasPrefix("cmdstat_") && !line.hasPrefix("cmdstat_info:") {
            guard let value = line.split(separator: ":").last?.split(separator: ",").first?.split(separator: "=").last,
                let count = Int(value)
            else { continue }
            calls += count
            byCommand[String(line.dropFirst("cmdstat_".count).prefix { $0 != ":" })] = count
        }
        return (calls, byCommand)
    }

}
