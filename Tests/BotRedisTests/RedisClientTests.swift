import BotRedis
import BotmasterSystem
import RedisServerFixture
import Testing

/// The client against a real redis-server (ops/install-deps.sh installs it; without it these
/// tests fail rather than skip).
@Suite struct RedisClientTests {
    @Test func typedRepliesAndErrors() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port)))
        #expect(try await client.command("SET", "greeting", "héllo") == .status("OK"))
        #expect(try await client.command("GET", "greeting").string == "héllo")
        #expect(try await client.command("GET", "missing") == .null)
        #expect(try await client.command("INCRBY", "counter", "5") == .integer(5))
        _ = try await client.command("RPUSH", "list", "a", "b")
        #expect(try await client.command("LRANGE", "list", "0", "-1") == .array([.bulk(Array("a".utf8)), .bulk(Array("b".utf8))]))
        await #expect(throws: RedisError.self) { try await client.command("LPUSH", "greeting", "x") }
        do {
            _ = try await client.command("LPUSH", "greeting", "x")
        } catch {
            guard case .wrongType = error else { Issue.record("expected wrongType, got \(error)"); return }
        }
        await client.shutdown()
    }

    @Test func concurrentCallsShareRoundTripsAndEachGetsItsOwnResult() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: server.url)
        let answers = try await withThrowingTaskGroup(of: (Int, Int64?).self) { group in
            for index in 0..<500 {
                group.addTask { (index, try await client.command("INCRBY", "counter:\(index % 7)", "\(index)").integer) }
            }
            return try await group.reduce(into: [Int: Int64]()) { $0[$1.0] = $1.1 }
        }
        #expect(answers.count == 500)
        var sums = [Int64](repeating: 0, count: 7)
        for index in 0..<500 { sums[index % 7] += Int64(index) }
        for key in 0..<7 { #expect(try await client.command("GET", "counter:\(key)").string == "\(sums[key])") }
        // 500 calls made at once: far fewer round trips than calls.
        #expect(client.roundTrips < 400)
        await client.shutdown()
    }

    @Test func aPipelineIsOneCallWithAResultPerCommand() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port)))
        let commands =
            (0..<1000).map { [Array("RPUSH".utf8), Array("queue".utf8), Array("job \($0)".utf8)] } + [
                [Array("LPUSH".utf8), Array("queue".utf8)]  // wrong arity: its own error, the rest stand
            ]
        let results = try await client.pipeline(commands)
        #expect(results.count == 1001)
        #expect(try results[999].get() == .integer(1000))
        #expect((try? results[1000].get()) == nil)
        #expect(try await client.command("LLEN", "queue") == .integer(1000))
        await client.shutdown()
    }

    @Test func passwordsDatabasesAndUnixSockets() async throws {
        let server = try RedisServerProcess(password: "pw-123")
        defer { server.tearDown() }
        let noPassword = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port)))
        do {
            _ = try await noPassword.command("PING")
            Issue.record("a command without the password must fail")
        } catch {
            guard case .authenticationFailed = error else { Issue.record("expected authenticationFailed, got \(error)"); return }
        }
        let wrong = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port), password: "nope"))
        await #expect(throws: RedisError.self) { try await wrong.command("PING") }
        let unix = RedisClient(url: try RedisURL(parsing: "unix://\(server.socketPath)?db=3&password=pw-123"))
        #expect(try await unix.command("SET", "where", "db3") == .status("OK"))
        let tcp0 = RedisClient(url: try RedisURL(parsing: "redis://:pw-123@127.0.0.1:\(server.port)/0"))
        let tcp3 = RedisClient(url: try RedisURL(parsing: "redis://:pw-123@127.0.0.1:\(server.port)/3"))
        #expect(try await tcp0.command("GET", "where") == .null)
        #expect(try await tcp3.command("GET", "where").string == "db3")
        for client in [noPassword, wrong, unix, tcp0, tcp3] { await client.shutdown() }
    }

    @Test func noServerIsUnreachableAndARestartedServerIsFoundAgain() async throws {
        let server = try RedisServerProcess()
        defer { server.tearDown() }
        let client = RedisClient(url: RedisURL(endpoint: .tcp(host: "127.0.0.1", port: server.port)), timeout: .milliseconds(500))
        #expect(try await client.command("SET", "k", "v") == .status("OK"))
        server.stop()
        do {
            _ = try await client.command("GET", "k")
            Issue.record("a stopped server must fail the call")
        } catch {
            #expect(error.isConnectionProblem, "\(error)")
        }
        try server.start()
        let deadline = MonotonicTime.now() + .seconds(10)
        var answer: RedisReply?
        while answer == nil && MonotonicTime.now() < deadline {
            answer = try? await client.command("PING")
            if answer == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(answer == .status("PONG"), "the client reconnects on its own")
        await client.shutdown()
    }
}
