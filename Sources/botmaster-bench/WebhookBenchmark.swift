import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Updates end to end: webhook POST → master → worker (IPC) → echo handler → `sendMessage` to
/// the sandbox, with batching off (`quiet = "0s"`). Throughput under wrk's load; added latency
/// (webhook request sent → reply received by the Bot API) from paced requests below saturation;
/// and, before the load, the idle workers' private memory.
struct WebhookBenchmark {
    let bots: Int
    /// The bots' store: `sqlite` (the default) or `memory`.
    let store: String
    let seconds: Int
    let connections: Int
    let pacedRate: Int

    struct Result {
        var repliesPerSecond: Double
        var webhookRequestsPerSecond: String
        var rejected: Int
        var latencyP50: Duration
        var latencyP99: Duration
        var pacedRate: Int
        var samples: Int
        /// Idle workers' private memory (USS) before the load: mean and max in bytes.
        var idleUSS: (mean: UInt64, max: UInt64)
    }

    static let secret = "bench-webhook-secret"

    func run() async throws -> Result {
        let webhookPort = LoopbackPort.free()
        let sandbox = try BenchmarkSandbox(binaries: BenchmarkFleet.binaries)
        defer { sandbox.stop() }
        let apiBase = sandbox.apiBase
        let fleet = try BenchmarkFleet(workers: bots) { index in
            """
            token_env = "BENCH_TOKEN"
            mode = "webhook"
            store = "\(store)"
            api_base = "\(apiBase)"
            [env]
            BENCH_TOKEN = "\(index + 1):bench"
            [batch]
            quiet = "0s"
            [rate]
            per_second = 1000000
            per_chat_per_second = 1000000
            [handler]
            concurrency = 64
            [limits]
            heartbeat_interval = "2s"
            """
        }
        defer { fleet.tearDown(keepHome: false) }
        fleet.environment = [
            "WEBHOOK_SECRET": Self.secret, "WEBHOOK_PORT": "\(webhookPort)", "WEBHOOK_BIND": "127.0.0.1",
            "WEBHOOK_HOST": "http://127.0.0.1:\(webhookPort)",
        ]
        _ = try await fleet.startAndWaitUntilRunning()
        let deadline = MonotonicTime.now() + .seconds(60)
        while (try? fleet.client.send(.status).status)?.workers.allSatisfy({ $0.bot?.source == "webhook" }) != true {
            guard MonotonicTime.now() < deadline else {
                let sources = (try? fleet.client.send(.status).status)?.workers.map { "\($0.id): \($0.state) \($0.bot?.source ?? "-")" }
                throw BenchmarkFleet.Failure(
                    description: "bots did not reach webhook mode: \(sources ?? [])")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let idleUSS = try await idleWorkerMemory(fleet)
        let sandboxClient = try KeepAliveHTTP(port: sandbox.port)

        // Throughput: wrk with a Lua script that posts unique updates round-robin over the bots.
        let before = try sandbox.sentTotal(sandboxClient)
        let started = MonotonicTime.now()
        let load = try await wrkLoad(port: webhookPort, home: fleet.home)
        let after = try sandbox.sentTotal(sandboxClient)
        let elapsed = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9
        // Let the backlog drain before the latency phase.
        try await waitUntilIdle(fleet)

        // Latency below saturation: paced requests, each carrying its send time.
        let webhook = try KeepAliveHTTP(port: webhookPort)
        let total = pacedRate * min(seconds, 10)
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(pacedRate))
        var next = MonotonicTime.now()
        for index in 0..<total {
            let now = MonotonicTime.now()
            if now < next { try await Task.sleep(for: next - now) }
            next = next + interval
            let bot = index % bots
            let id = 2_000_000_000 + index
            let body =
                #"{"update_id":\#(id),"message":{"message_id":\#(id),"date":0,"chat":{"id":\#(1 + index % 997),"type":"private"},"text":"lat \#(Self.wallMicroseconds())"}}"#
            _ = try webhook.request(
                "POST", "/webhook/bot\(bot)",
                headers: ["X-Telegram-Bot-Api-Secret-Token": Self.secret, "Content-Type": "application/json"],
                body: body)
        }
        try await waitUntilIdle(fleet)
        var latencies: [Duration] = []
        for bot in 0..<bots {
            for record in try sandbox.sent(bot: bot + 1, sandboxClient) {
                guard let text = record.text, text.hasPrefix("lat "), let sentAt = Int64(text.dropFirst(4)) else { continue }
                latencies.append(.microseconds(record.atUs - sentAt))
            }
        }
        latencies.sort()
        let percentile = { (p: Double) -> Duration in
            latencies.isEmpty ? .zero : latencies[min(Int(Double(latencies.count) * p), latencies.count - 1)]
        }
        return Result(
            repliesPerSecond: Double(after - before) / elapsed, webhookRequestsPerSecond: load.requestsPerSecond,
            rejected: load.non2xx, latencyP50: percentile(0.5), latencyP99: percentile(0.99), pacedRate: pacedRate,
            samples: latencies.count, idleUSS: idleUSS)
    }

    /// The workers' USS (`Private_Clean + Private_Dirty` of `smaps_rollup`) once they have been
    /// idle in webhook mode for a second: store open, HTTP client and event loop up.
    private func idleWorkerMemory(_ fleet: BenchmarkFleet) async throws -> (mean: UInt64, max: UInt64) {
        try await Task.sleep(for: .seconds(1))
        let pids = (try fleet.client.send(.status).status?.workers ?? []).compactMap(\.pid)
        let privateBytes = pids.compactMap { ProcFS.memory(of: $0)?.uss }
        guard !privateBytes.isEmpty else { throw BenchmarkFleet.Failure(description: "no worker memory to read") }
        return (privateBytes.reduce(0, +) / UInt64(privateBytes.count), privateBytes.max() ?? 0)
    }

    static func wallMicroseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    private func waitUntilIdle(_ fleet: BenchmarkFleet) async throws {
        let deadline = MonotonicTime.now() + .seconds(30)
        while MonotonicTime.now() < deadline {
            if let status = try? fleet.client.send(.status).status, status.workers.allSatisfy({ ($0.bot?.inFlight ?? 0) == 0 }) {
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let stuck = (try? fleet.client.send(.status).status)?.workers.filter { ($0.bot?.inFlight ?? 0) > 0 }
            .map { "\($0.id): \($0.bot.map { "\($0)" } ?? "")" }
        throw BenchmarkFleet.Failure(description: "the bots did not finish their backlog in 120 s: \(stuck ?? [])")
    }

    private func wrkLoad(port: Int, home: String) async throws -> (requestsPerSecond: String, non2xx: Int) {
        guard let wrk = StatusLoad.wrk else { throw BenchmarkFleet.Failure(description: "install wrk") }
        let script = "\(home)/webhook.lua"
        try FileSystem.writeFileAtomically(
            script,
            Array(
                """
                local counter = 0
                request = function()
                  counter = counter + 1
                  local body = string.format('{"update_id":%d,"message":{"message_id":%d,"date":0,"chat":{"id":%d,"type":"private"},"text":"x"}}', counter, counter, 1 + counter % 997)
                  return wrk.format("POST", "/webhook/bot" .. (counter % \(bots)), {["Content-Type"] = "application/json", ["X-Telegram-Bot-Api-Secret-Token"] = "\(Self.secret)"}, body)
                end
                """.utf8))
        let output = "\(home)/wrk.txt"
        let file = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let null = try Descriptors.openNull()
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: [wrk, "-t1", "-c\(connections)", "-d\(seconds)s", "-s", script, "http://127.0.0.1:\(port)"],
                environment: Environment.current(), descriptors: [0: null, 1: file, 2: file]))
        close(file)
        close(null)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        let text = String(decoding: FileSystem.readFile(output) ?? [], as: UTF8.self)
        let rate =
            text.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }?
            .split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "?"
        let rejected =
            text.split(separator: "\n").first { $0.contains("Non-2xx") }?
            .split(separator: " ", omittingEmptySubsequences: true).last.flatMap { Int($0) } ?? 0
        return (rate, rejected)
    }
}
