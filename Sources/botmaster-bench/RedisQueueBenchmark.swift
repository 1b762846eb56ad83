import BotRedis
import BotmasterSystem
import Glibc

/// Jobs through the Redis-backed queue (a real `redis-server` on a free loopback port): each
/// round enqueues a batch in one pipelined round trip, takes it with one `XREADGROUP`, and
/// acknowledges it with one pipelined `XACK`+`XDEL` — three round trips per batch.
struct RedisQueueBenchmark {
    let bots: Int
    let jobs: Int
    let batch: Int
    let clients: Int

    struct Result {
        var jobsPerSecond: Double
        var roundTripsPerJob: Double
    }

    func run() async throws -> Result {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-bench-redis-")
        defer { FileSystem.removeTree(directory) }
        let port = LoopbackPort.free()
        let null = try Descriptors.openNull()
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: [
                    "redis-server", "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory,
                ], environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        close(null)
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        let url = RedisURL(endpoint: .tcp(host: "127.0.0.1", port: port))
        let deadline = MonotonicTime.now() + .seconds(10)
        while (try? RedisConnection(url: url, timeout: .milliseconds(200))) == nil {
            guard MonotonicTime.now() < deadline else { throw BenchmarkFleet.Failure(description: "redis-server did not start") }
            usleep(20_000)
        }
        let payload = Array(#"{"chat":42,"updates":[1,2,3],"text":"hello there"}"#.utf8)
        let rounds = jobs / batch
        let started = MonotonicTime.now()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for clientIndex in 0..<clients {
                group.addTask {
                    let client = RedisClient(url: url)
                    // This client's bots, each with its own stream.
                    let queues = stride(from: clientIndex, to: bots, by: clients).map {
                        RedisJobQueue(client: client, key: "botmaster:bench:bot\($0):jobs")
                    }
                    for queue in queues { try await queue.prepare() }
                    for round in stride(from: clientIndex, to: rounds, by: clients) {
                        let queue = queues[(round / clients) % queues.count]
                        _ = try await queue.enqueue(Array(repeating: payload, count: batch))
                        let taken = try await queue.take(consumer: "bench", count: batch)
                        try await queue.acknowledge(taken.map(\.id))
                    }
                    await client.shutdown()
                }
            }
            try await group.waitForAll()
        }
        let seconds = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9
        return Result(jobsPerSecond: Double(rounds * batch) / seconds, roundTripsPerJob: 3 / Double(batch))
    }
}
