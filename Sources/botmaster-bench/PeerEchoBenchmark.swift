import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One polling echo bot of each runtime — botworker (under a master, default store), aiogram 3
/// and python-telegram-bot (their defaults, `ops/bench/peers/*.py`) — against a fresh
/// `botapi-sandbox`, given the same load: `messages` texts over `chats` chats, injected in
/// bursts as fast as the sandbox takes them (far faster than any of the bots answers). Measured from the first injection to the last reply: replies per
/// second, the bot process's CPU per reply, and its private memory (USS) when idle before the
/// load; every reply is checked to answer one message, once.
struct PeerEchoBenchmark {
    enum System: String, CaseIterable {
        case botworker
        case aiogram
        case ptb = "python-telegram-bot"
    }

    /// A Python with aiogram and python-telegram-bot installed.
    let python: String
    /// Where `aiogram_echo.py` and `ptb_echo.py` are.
    let scripts: String
    let messages: Int
    let chats: Int

    struct Run {
        var system: System
        var repliesPerSecond: Double
        var cpuMillisecondsPerReply: Double
        var idleUSS: UInt64
        /// Replies that answered a message once; the run is valid only when it equals `messages`.
        var answeredOnce: Int
        var replies: Int
    }

    static let botID = 7001
    static let token = "\(botID):peer-benchmark"

    func run(_ system: System) async throws -> Run {
        let sandbox = try BenchmarkSandbox(binaries: BenchmarkFleet.binaries)
        defer { sandbox.stop() }
        let (pid, stop) = try await start(system, sandbox: sandbox)
        defer { stop() }
        // Idle: the bot is long-polling an empty queue.
        try await Task.sleep(for: .seconds(2))
        let idleUSS = ProcFS.memory(of: pid)?.uss ?? 0
        let cpuBefore = ProcFS.cpuTicks(of: pid) ?? 0
        let started = MonotonicTime.now()
        let injector = Injector(port: sandbox.port, messages: messages, chats: chats)
        let injecting = Task.detached { try injector.run() }
        let http = try KeepAliveHTTP(port: sandbox.port)
        var sent = 0
        while sent < messages {
            guard MonotonicTime.now() - started < .seconds(600) else {
                throw BenchmarkFleet.Failure(description: "\(system.rawValue) answered \(sent) of \(messages) within 600 s")
            }
            try await Task.sleep(for: .milliseconds(20))
            sent = try sandbox.sentTotal(http)
        }
        let elapsed = MonotonicTime.now() - started
        let cpuAfter = ProcFS.cpuTicks(of: pid) ?? 0
        try await injecting.value
        // Late duplicates would show within a moment.
        try await Task.sleep(for: .milliseconds(500))
        let records = try sandbox.sent(bot: Self.botID, http)
        var seen: [String: Int] = [:]
        for record in records { seen[record.text ?? "", default: 0] += 1 }
        let once = (0..<messages).filter { seen[Injector.text($0)] == 1 }.count
        let seconds = Double(elapsed.nanosecondsClamped) / 1e9
        return Run(
            system: system, repliesPerSecond: Double(records.count) / seconds,
            cpuMillisecondsPerReply: Double(cpuAfter - cpuBefore) * 1000 / Double(ProcFS.ticksPerSecond) / Double(max(records.count, 1)),
            idleUSS: idleUSS, answeredOnce: once, replies: records.count)
    }

    /// Starts the bot; returns its process (the worker, for botworker) and how to stop it.
    private func start(_ system: System, sandbox: BenchmarkSandbox) async throws -> (pid_t, () -> Void) {
        switch system {
        case .botworker:
            let apiBase = sandbox.apiBase
            let fleet = try BenchmarkFleet(workers: 1) { _ in
                // Telegram's own limits (30 messages/s) would cap any bot that keeps to them; the
                // Python bots have none, so neither has this one here.
                """
                token_env = "BENCH_TOKEN"
                mode = "polling"
                api_base = "\(apiBase)"
                [env]
                BENCH_TOKEN = "\(Self.token)"
                [batch]
                quiet = "0s"
                [rate]
                per_second = 1000000
                per_chat_per_second = 1000000
                """
            }
            _ = try await fleet.startAndWaitUntilRunning()
            let deadline = MonotonicTime.now() + .seconds(60)
            while true {
                if let worker = (try? fleet.client.send(.status).status)?.workers.first, worker.bot?.source == "polling",
                    let pid = worker.pid
                {
                    return (pid, { fleet.tearDown(keepHome: false) })
                }
                guard MonotonicTime.now() < deadline else {
                    fleet.tearDown(keepHome: false)
                    throw BenchmarkFleet.Failure(description: "botworker did not poll within 60 s")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        case .aiogram, .ptb:
            let script = "\(scripts)/\(system == .aiogram ? "aiogram_echo.py" : "ptb_echo.py")"
            let output = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-peer-")
            let log = open("\(output)/bot.log", O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
            let null = try Descriptors.openNull()
            defer {
                close(null)
                close(log)
            }
            let pid = try ProcessSpawner.spawn(
                SpawnRequest(
                    arguments: [python, script, sandbox.apiBase, Self.token], environment: Environment.current(),
                    descriptors: [0: null, 1: log, 2: log]))
            let stop = {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                FileSystem.removeTree(output)
            }
            let deadline = MonotonicTime.now() + .seconds(60)
            while String(decoding: FileSystem.readFile("\(output)/bot.log") ?? [], as: UTF8.self).contains("polling") == false {
                guard MonotonicTime.now() < deadline, waitpid(pid, nil, WNOHANG) == 0 else {
                    let said = String(decoding: FileSystem.readFile("\(output)/bot.log") ?? [], as: UTF8.self)
                    stop()
                    throw BenchmarkFleet.Failure(description: "\(system.rawValue) did not start: \(said.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            return (pid, stop)
        }
    }

    /// Posts the messages to the sandbox in bursts of 100 (one request each, so that the
    /// injection never limits the bot: one message a request tops out near 2,000/s here),
    /// message n from chat `n % chats`, on one keep-alive connection.
    struct Injector: Sendable {
        let port: Int
        let messages: Int
        let chats: Int
        static let burst = 100

        static func text(_ number: Int) -> String { "message \(number)" }

        func run() throws {
            let http = try KeepAliveHTTP(port: port)
            for first in stride(from: 0, to: messages, by: Self.burst) {
                let burst = (first..<min(first + Self.burst, messages)).map { number in
                    #"{"chat_id":\#(10_000 + number % chats),"text":"\#(Self.text(number))"}"#
                }
                let answer = try http.request(
                    "POST", "/sandbox/bots/\(PeerEchoBenchmark.botID)/messages", body: "[" + burst.joined(separator: ",") + "]")
                guard answer.status == 200 else {
                    throw BenchmarkFleet.Failure(description: "the sandbox refused messages from \(first): \(answer.status)")
                }
            }
        }
    }
}
