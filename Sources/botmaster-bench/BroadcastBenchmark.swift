import BotAPISandbox
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Glibc
import RedisServerFixture

/// One broadcast end to end: the master hands it to the bot's worker, which sends it to every
/// chat through its outgoing rate limiter and records each chat's outcome in its store, and
/// `botapi-sandbox` makes the messages. Measures how long it takes against the ideal
/// (`chats / rate`), the CPU each message costs the worker (and the master and `redis-server`),
/// and the worker's memory while it runs; checks that every chat got exactly one copy.
struct BroadcastBenchmark {
    let store: BotSettings.Store
    let chats: Int
    let rate: Int

    struct Result {
        /// From the worker starting the broadcast to its last outcome recorded (the store's
        /// `started_ms` and `finished_ms`).
        var duration: Duration
        var ideal: Duration
        /// `sendMessage` calls the sandbox answered with 200, and the chats they went to.
        var sent: Int
        var distinctChats: Int
        /// CPU time per message sent, in microseconds.
        var workerCPU: Double
        var masterCPU: Double
        var redisCPU: Double?
        /// The sandbox standing in for the Bot API shares the two cores with the fleet.
        var sandboxCPU: Double
        /// The worker's private memory (USS): before the broadcast was made, once it was made
        /// and sending (the audience decoded and stored), and the peak from then to the end,
        /// so that memory growing with each chat sent would show as the difference of the last
        /// two.
        var ussBefore: UInt64
        var ussSending: UInt64
        var ussPeak: UInt64
        var rssPeak: UInt64
    }

    func run() async throws -> Result {
        var redis: RedisServerProcess?
        defer { redis?.tearDown() }
        if store == .redis { redis = try RedisServerProcess() }
        let sandbox = try BenchmarkSandbox(binaries: BenchmarkFleet.binaries)
        defer { sandbox.stop() }
        // A bot with paid broadcasts: its bot-wide limit leaves the broadcast its full rate at
        // the default `broadcast_share` of 0.9.
        let perSecond = Int((Double(rate) / 0.9).rounded(.up)) + 1
        let fleet = try BenchmarkFleet(workers: 1) { _ in
            """
            token_env = "BENCH_TOKEN"
            mode = "polling"
            store = "\(store.rawValue)"
            api_base = "\(sandbox.apiBase)"
            [env]
            BENCH_TOKEN = "1:bench"
            [rate]
            per_second = \(perSecond)
            [limits]
            heartbeat_interval = "1s"
            """
        }
        defer { fleet.tearDown(keepHome: false) }
        if let redis { fleet.environment["REDIS_URL"] = redis.urlText }
        _ = try await fleet.startAndWaitUntilRunning()
        let workerPID = try await waitForPolling(fleet)
        try await Task.sleep(for: .seconds(1))

        let ussBefore = ProcFS.memory(of: workerPID)?.uss ?? 0
        let cpuBefore = cpuTicks(workerPID, fleet.masterPID, redis?.processID)
        let sandboxBefore = ProcFS.cpuTicks(of: sandbox.pid)
        let request = ControlRequest(
            command: "broadcast", id: "bot0",
            broadcast: BroadcastRequest(
                requestID: 0, action: .create, message: BroadcastMessage(text: "Scheduled maintenance tonight at 02:00 UTC."),
                chats: (1...Int64(chats)).map { $0 }, rate: Double(rate)))
        let made = try fleet.client.send(request)
        guard made.ok, let id = made.broadcasts?.first?.id else {
            throw BenchmarkFleet.Failure(description: "the broadcast was refused: \(made.error ?? "no reply")")
        }
        var ussSending: UInt64?
        var ussPeak: UInt64 = 0
        var rssPeak: UInt64 = 0
        let deadline = MonotonicTime.now() + .seconds(Int64(chats / max(rate, 1)) * 3 + 60)
        var finished: BroadcastInfo?
        while finished == nil {
            guard MonotonicTime.now() < deadline else { throw BenchmarkFleet.Failure(description: "broadcast \(id) did not finish") }
            try await Task.sleep(for: .milliseconds(250))
            let memory = ProcFS.memory(of: workerPID)
            let show = try fleet.client.send(
                ControlRequest(command: "broadcast", id: "bot0", broadcast: BroadcastRequest(requestID: 0, action: .show, id: id)))
            guard let info = show.broadcasts?.first else { continue }
            if let memory, info.counts.done > 0 {
                if ussSending == nil { ussSending = memory.uss }
                ussPeak = max(ussPeak, memory.uss)
                rssPeak = max(rssPeak, memory.rss)
            }
            if info.state == .done { finished = info }
        }
        let cpuAfter = cpuTicks(workerPID, fleet.masterPID, redis?.processID)
        let sandboxAfter = ProcFS.cpuTicks(of: sandbox.pid)
        guard let finished, let started = finished.startedMs, let ended = finished.finishedMs else {
            throw BenchmarkFleet.Failure(description: "broadcast \(id) has no start or end time")
        }
        let delivered = try sandbox.calls(bot: 1, KeepAliveHTTP(port: sandbox.port)).filter {
            $0.method == "sendMessage" && $0.status == 200
        }
        let sent = max(finished.counts.sent, 1)
        let perMessage = { (before: UInt64?, after: UInt64?) -> Double? in
            guard let before, let after else { return nil }
            return Double(after - before) / Double(ProcFS.ticksPerSecond) * 1e6 / Double(sent)
        }
        return Result(
            duration: .milliseconds(ended - started), ideal: .milliseconds(Int64(chats) * 1000 / Int64(max(rate, 1))),
            sent: delivered.count, distinctChats: Set(delivered.compactMap(\.chatID)).count,
            workerCPU: perMessage(cpuBefore.worker, cpuAfter.worker) ?? 0, masterCPU: perMessage(cpuBefore.master, cpuAfter.master) ?? 0,
            redisCPU: perMessage(cpuBefore.redis, cpuAfter.redis), sandboxCPU: perMessage(sandboxBefore, sandboxAfter) ?? 0,
            ussBefore: ussBefore, ussSending: ussSending ?? 0, ussPeak: ussPeak,
            rssPeak: rssPeak)
    }

    private func cpuTicks(_ worker: pid_t, _ master: pid_t, _ redis: pid_t?) -> (worker: UInt64?, master: UInt64?, redis: UInt64?) {
        (ProcFS.cpuTicks(of: worker), ProcFS.cpuTicks(of: master), redis.flatMap { ProcFS.cpuTicks(of: $0) })
    }

    /// The worker's pid once it polls (its store is open and it takes broadcasts).
    private func waitForPolling(_ fleet: BenchmarkFleet) async throws -> pid_t {
        let deadline = MonotonicTime.now() + .seconds(60)
        while MonotonicTime.now() < deadline {
            if let worker = (try? fleet.client.send(.statusOf("bot0")))?.status?.workers.first, worker.bot?.source == "polling",
                let pid = worker.pid
            {
                return pid
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BenchmarkFleet.Failure(description: "the bot did not start polling; see \(fleet.home)/logs")
    }
}
