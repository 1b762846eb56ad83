import BotAPISandbox
import BotmasterSystem
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `botapi-sandbox` next to this benchmark's executable, standing in for the Bot API.
final class BenchmarkSandbox {
    let port: Int
    let pid: pid_t

    /// Starts the sandbox on a free loopback port and waits until it accepts connections.
    init(binaries: String) throws {
        port = LoopbackPort.free()
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["\(binaries)/botapi-sandbox", "--port", "\(port)"], environment: Environment.current(),
                descriptors: [0: null, 1: null, 2: null]))
        let deadline = MonotonicTime.now() + .seconds(10)
        while (try? KeepAliveHTTP(port: port)) == nil {
            guard MonotonicTime.now() < deadline else {
                stop()
                throw BenchmarkFleet.Failure(description: "the sandbox did not start")
            }
            usleep(20_000)
        }
    }

    var apiBase: String { "http://127.0.0.1:\(port)" }

    /// Messages the sandbox made for every bot together.
    func sentTotal(_ client: KeepAliveHTTP) throws -> Int {
        let answer = try client.request("GET", "/sandbox/bots")
        return try JSONDecoder().decode([SandboxBotSummary].self, from: Data(answer.body)).reduce(0) { $0 + $1.sentTotal }
    }

    /// The messages the sandbox made for the bot whose token starts with `bot` (its last
    /// 20,000).
    func sent(bot: Int, _ client: KeepAliveHTTP) throws -> [SentRecord] {
        let answer = try client.request("GET", "/sandbox/bots/\(bot)/sent?after=0")
        return try JSONDecoder().decode([SentRecord].self, from: Data(answer.body))
    }

    /// Every call the sandbox answered for the bot (its last 200,000; `getUpdates` aside).
    func calls(bot: Int, _ client: KeepAliveHTTP) throws -> [CallRecord] {
        let answer = try client.request("GET", "/sandbox/bots/\(bot)/calls?after=0")
        return try JSONDecoder().decode([CallRecord].self, from: Data(answer.body))
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
