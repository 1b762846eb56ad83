import BotRedis
import RedisServerFixture
import Testing

@Suite struct RedisJobQueueTests {
    @Test func aJobTakenByAConsumerThatDiedIsTakenAgainByItsSuccessorAndNothingIsLost() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: server.url)
        let queue = RedisJobQueue(client: client, key: "botmaster:test:echo:jobs")
        try await queue.prepare()
        try await queue.prepare()  // idempotent
        let ids = try await queue.enqueue([Array("one".utf8), Array("two".utf8), Array("three".utf8)])
        #expect(ids.count == 3)

        // The worker takes two jobs, finishes one, then dies with the other in hand.
        let taken = try await queue.take(consumer: "worker", count: 2)
        #expect(taken.map { String(decoding: $0.payload, as: UTF8.self) } == ["one", "two"])
        #expect(taken.allSatisfy { $0.deliveries == 1 })
        try await queue.acknowledge([taken[0].id])
        #expect(try await queue.pendingCount() == 1)

        // Its successor, under the same consumer name, finds the unfinished one first…
        let unfinished = try await queue.takeOwnPending(consumer: "worker", count: 10)
        #expect(unfinished.map { String(decoding: $0.payload, as: UTF8.self) } == ["two"])
        #expect(unfinished.first?.deliveries == 2)
        #expect(try await queue.takeOwnPending(consumer: "worker", after: unfinished[0].id, count: 10).isEmpty)
        // …then what nobody took.
        let fresh = try await queue.take(consumer: "worker", count: 10)
        #expect(fresh.map { String(decoding: $0.payload, as: UTF8.self) } == ["three"])
        try await queue.acknowledge((unfinished + fresh).map(\.id))
        #expect(try await queue.pendingCount() == 0)
        #expect(try await client.command("XLEN", "botmaster:test:echo:jobs") == .integer(0), "acknowledged jobs leave the stream")
        #expect(try await queue.take(consumer: "worker", count: 10).isEmpty)
        #expect(try await queue.takeOwnPending(consumer: "worker", count: 10).isEmpty)
        await client.shutdown()
    }
}
