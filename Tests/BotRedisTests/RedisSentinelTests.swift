import BotRedis
import BotmasterSystem
import RedisServerFixture
import Testing

/// The client against real servers in a Sentinel set-up: a primary, a replica and three
/// sentinels (`redis-server --sentinel`), all on loopback.
@Suite struct RedisSentinelTests {
    @Test func aClientFollowsTheNewPrimaryAfterTheOldOneIsKilled() async throws {
        let set = try RedisSentinelSet()
        defer { set.tearDown() }
        let client = RedisClient(url: try RedisURL(parsing: set.urlText()), timeout: .milliseconds(500))
        defer { client.syncShutdown() }
        #expect(try await client.command("SET", "before", "1") == .status("OK"))
        #expect(try await client.command("CONFIG", "GET", "port").array?.last?.string == "\(set.primary.port)")
        #expect(try await client.command("WAIT", "1", "400") == .integer(1), "the replica has the write before the kill")
        set.primary.stop()
        // Sentinel fails over after a second without answers, plus its election: a few seconds.
        let deadline = MonotonicTime.now() + .seconds(30)
        var written = false
        while !written && MonotonicTime.now() < deadline {
            written = (try? await client.command("SET", "after", "2")) == .status("OK")
            if !written { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(written, "the client writes again once a sentinel names the promoted replica")
        #expect(try await client.command("CONFIG", "GET", "port").array?.last?.string == "\(set.replica.port)")
        #expect(try await client.command("GET", "before").string == "1", "a replicated write survives the failover")
    }

    @Test func aServerThatIsNotThePrimaryIsRefusedAndNoSentinelAnsweringSaysSo() async throws {
        let set = try RedisSentinelSet()
        defer { set.tearDown() }
        // The replica refuses writes: the error is a connection problem (worth finding the
        // primary again), not a failed command.
        let direct = RedisClient(url: set.replica.url)
        defer { direct.syncShutdown() }
        do {
            _ = try await direct.command("SET", "k", "v")
            Issue.record("a replica must refuse a write")
        } catch {
            #expect(error.isConnectionProblem, "\(error)")
        }
        let unknown = RedisClient(url: try RedisURL(parsing: set.urlText(name: "other")))
        defer { unknown.syncShutdown() }
        do {
            _ = try await unknown.command("PING")
            Issue.record("no sentinel knows the name")
        } catch {
            #expect("\(error)".contains("does not know a primary named other"), "\(error)")
            #expect(!"\(error)".contains("pw-sentinel"), "no password in errors")
        }
    }

    @Test func replicaWaitConfirmsWritesAndFailsWhenTooFewReplicasAnswer() async throws {
        let set = try RedisSentinelSet()
        defer { set.tearDown() }
        let one = RedisClient(url: try RedisURL(parsing: set.urlText("wait_replicas=1&wait_timeout_ms=2000")))
        // A WAIT longer than the client's 2 s default timeout: the connection waits it out.
        let two = RedisClient(url: try RedisURL(parsing: set.urlText("wait_replicas=2&wait_timeout_ms=2500")))
        defer {
            one.syncShutdown()
            two.syncShutdown()
        }
        let script = RedisScript("return redis.call('INCR', KEYS[1])")
        #expect(try await script.run(on: one, keys: ["counter"], arguments: []) == .integer(1))
        let onReplica = RedisClient(url: set.replica.url)
        defer { onReplica.syncShutdown() }
        #expect(try await onReplica.command("GET", "counter").string == "1", "confirmed: the replica has it when the step returns")
        do {
            _ = try await script.run(on: two, keys: ["counter"], arguments: [])
            Issue.record("two replicas asked for, one exists")
        } catch {
            guard case .notReplicated = error else { Issue.record("expected notReplicated, got \(error)"); return }
            #expect(error.isConnectionProblem)
        }
    }
}
