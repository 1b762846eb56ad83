import BotAPISandbox
import BotmasterControl
import BotmasterSystem
import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Polling echo bots of each runtime — botworker (under a master, default store), aiogram 3
/// and python-telegram-bot (their defaults, `ops/bench/peers/*.py`) — against a fresh
/// `botapi-sandbox`, given the same load: `messages` texts per bot over `chats` chats, injected
/// in bursts as fast as the sandbox takes them (far faster than any of the bots answers).
/// With several bots, botmaster runs one worker process per bot, and each peer runs all of
/// them in one process, as its users do (one dispatcher, or one asyncio loop, for every bot).
/// Measured from the first injection to the last reply: replies per second and CPU per reply —
/// of the bot's process with one bot (the worker's, for botworker), of every process of the
/// system with several (botmaster's master included) — and the memory when idle before the
/// load: the bot process's private memory (USS) with one bot, the sum of every process's
/// proportional share (PSS) with several, since a fleet's workers share their binary's pages
/// and a sum of USS would count those nowhere. Every reply is checked to answer one message of
/// its bot, once.
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
    let bots: Int
    /// Messages per bot.
    let messages: Int
    /// Chats per bot the messages come from.
    let chats: Int

    var totalMessages: Int { bots * messages }

    struct Run {
        var system: System
        var repliesPerSecond: Double
        var cpuMillisecondsPerReply: Double
        /// USS of the bot's process (one bot) or the PSS of every process summed (several).
        var idleMemory: UInt64
        /// Replies that answered a message of their bot once; the run is valid only when it
        /// equals every bot's messages.
        var answeredOnce: Int
        var replies: Int
    }

    static func botID(_ index: Int) -> Int { 7001 + index }
    static func token(_ index: Int) -> String { "\(botID(index)):peer-benchmark" }

    func run(_ system: System) async throws -> Run {
        let sandbox = try BenchmarkSandbox(binaries: BenchmarkFleet.binaries)
        defer { sandbox.stop() }
        let (pids, stop) = try await start(system, sandbox: sandbox)
        defer { stop() }
        // Idle: every bot is long-polling an empty queue.
        try await Task.sleep(for: .seconds(2))
        let idleMemory = pids.reduce(0) { sum, pid in
            sum + (ProcFS.memory(of: pid).map { bots == 1 ? $0.uss : $0.pss } ?? 0)
        }
        let cpuBefore = pids.reduce(0) { $0 + (ProcFS.cpuTicks(of: $1) ?? 0) }
        let started = MonotonicTime.now()
        let injector = Injector(port: sandbox.port, bots: bots, messages: messages, chats: chats)
        let injecting = Task.detached { try injector.run() }
        let http = try KeepAliveHTTP(port: sandbox.port)
        var sent = 0
        while sent < totalMessages {
            guard MonotonicTime.now() - started < .seconds(600) else {
                throw BenchmarkFleet.Failure(description: "\(system.rawValue) answered \(sent) of \(totalMessages) within 600 s")
            }
            try await Task.sleep(for: .milliseconds(20))
            sent = try sandbox.sentTotal(http)
        }
        let elapsed = MonotonicTime.now() - started
        let cpuAfter = pids.reduce(0) { $0 + (ProcFS.cpuTicks(of: $1) ?? 0) }
        try await injecting.value
        // Late duplicates would show within a moment.
        try await Task.sleep(for: .milliseconds(500))
        var replies = 0
        var once = 0
        for bot in 0..<bots {
            let records = try sandbox.sent(bot: Self.botID(bot), http)
            replies += records.count
            var seen: [String: Int] = [:]
            for record in records { seen[record.text ?? "", default: 0] += 1 }
            once += (0..<messages).filter { seen[Injector.text($0)] == 1 }.count
        }
        let seconds = Double(elapsed.nanosecondsClamped) / 1e9
        return Run(
            system: system, repliesPerSecond: Double(replies) / seconds,
            cpuMillisecondsPerReply: Double(cpuAfter - cpuBefore) * 1000 / Double(ProcFS.ticksPerSecond) / Double(max(replies, 1)),
            idleMemory: idleMemory, answeredOnce: once, replies: replies)
    }

    /// Starts the bots; returns the processes whose CPU and memory count (with one bot, the
    /// worker alone; with several, the master too) and how to stop them.
    private func start(_ system: System, sandbox: BenchmarkSandbox) async throws -> ([pid_t], () -> Void) {
        switch system {
        case .botworker:
            let apiBase = sandbox.apiBase
            let fleet = try BenchmarkFleet(workers: bots) { index in
                // Telegram's own limits (30 messages/s) would cap any bot that keeps to them; the
                // Python bots have none, so neither has this one here.
                """
                token_env = "BENCH_TOKEN"
                mode = "polling"
                api_base = "\(apiBase)"
                [env]
                BENCH_TOKEN = "\(Self.token(index))"
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
                let workers = (try? fleet.client.send(.status).status)?.workers ?? []
                let polling = workers.filter { $0.bot?.source == "polling" }.compactMap(\.pid)
                if polling.count == bots {
                    return (bots == 1 ? polling : polling + [fleet.masterPID], { fleet.tearDown(keepHome: false) })
                }
                guard MonotonicTime.now() < deadline else {
                    fleet.tearDown(keepHome: false)
                    throw BenchmarkFleet.Failure(description: "\(polling.count) of \(bots) botworkers polled within 60 s")
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
                    arguments: [python, script, sandbox.apiBase] + (0..<bots).map(Self.token), environment: Environment.current(),
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
            return ([pid], stop)
        }
    }

    /// Posts the messages to the sandbox in bursts of 100 (one request each, so that the
    /// injection never limits the bots: one message a request tops out near 2,000/s here),
    /// every bot's first burst before any bot's second, message n of a bot from its chat
    /// `n % chats`, on one keep-alive connection.
    struct Injector: Sendable {
        let port: Int
        let bots: Int
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
                let body = "[" + burst.joined(separator: ",") + "]"
                for bot in 0..<bots {
                    let answer = try http.request("POST", "/sandbox/bots/\(PeerEchoBenchmark.botID(bot))/messages", body: body)
                    guard answer.status == 200 else {
                        throw BenchmarkFleet.Failure(
                            description: "the sandbox refused bot \(bot)'s messages from \(first): \(answer.status)")
                    }
                }
            }
        }
    }
}
