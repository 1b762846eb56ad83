import BotRedis
import RedisServerFixture
import Testing

@Suite struct RedisJobQueueTests {
    @Test func aJobTakenByAConsumerThatDiedIsTakenAgainAndNothingIsLost() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port)))
        defer { Task { await client.shutdown() } }
        let queue = RedisJobQueue(client: client, key: "botmaster:test:echo:jobs")
        try await queue.prepare()
        try await queue.prepare()  // idempotent
        let ids = try await queue.enqueue([Array("one".utf8), Array("two".utf8), Array("three".utf8)])
        #expect(ids.count == 3)

        // Consumer "a" takes two jobs, finishes one, then dies with the other in hand.
        let taken = try await queue.take(consumer: "a", count: 2)
        #expect(taken.map { String(decoding: $0.payload, as: UTF8.self) } == ["one", "two"])
        #expect(taken.allSatisfy { $0.deliveries == 1 })
        try await queue.acknowledge([taken[0].id])
        #expect(try await queue.pendingCount() == 1)

        // Consumer "b" gets only what nobody took…
        let fresh = try await queue.take(consumer: "b", count: 10)
        #expect(fresh.map { String(decoding: $0.payload, as: UTF8.self) } == ["three"])
        #expect(try await queue.claimStale(consumer: "b", minimumIdle: .seconds(60)).isEmpty, "a's job is not stale yet")
        try await queue.acknowledge(fresh.map(\.id))
        // …and, once a's job has been idle long enough, that one too, marked as a redelivery.
        try await Task.sleep(for: .milliseconds(150))
        let claimed = try await queue.claimStale(consumer: "b", minimumIdle: .milliseconds(100))
        #expect(claimed.map { String(decoding: $0.payload, as: UTF8.self) } == ["two"])
        #expect(claimed.first?.deliveries == 2)
        try await queue.acknowledge(claimed.map(\.id))
        #expect(try await queue.pendingCount() == 0)
        #expect(try await client.command("XLEN", "botmaster:test:echo:jobs") == .integer(0), "acknowledged jobs leave the stream")
        #expect(try await queue.take(consumer: "b", count: 10).isEmpty)
    }
}
