import BotmasterControl
import BotmasterSystem
import Glibc

/// A fleet of reference workers in a temporary home, run by the `botmaster` next to this
/// benchmark's executable.
final class BenchmarkFleet {
    let home: String
    let workerCount: Int
    let binaries: String
    let statusPort = LoopbackPort.free()
    private(set) var masterPID: pid_t = 0

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Extra environment for the master.
    var environment: [String: String] = [:]

    /// - Parameters:
    ///   - workers: how many bots.
    ///   - definition: the `workers/bot<N>.toml` text for bot N; by default a reference worker
    ///     with a 1 s heartbeat (45 times the default: the idle-CPU figure is for a busy protocol).
    init(workers: Int, definition: (Int) -> String = { _ in BenchmarkFleet.heartbeatOnly }) throws {
        workerCount = workers
        home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-bench-")
        binaries = Self.binaries
        try FileSystem.createDirectory("\(home)/workers")
        for index in 0..<workers {
            try FileSystem.writeFileAtomically("\(home)/workers/bot\(index).toml", Array(definition(index).utf8))
        }
    }

    /// The directory of this benchmark's executable, where the other binaries are.
    static var binaries: String {
        let executable = FileSystem.currentExecutablePath() ?? ""
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }

    static let heartbeatOnly = "[limits]\nheartbeat_interval = \"1s\"\nrestart_cooldown = \"0s\"\nmax_restarts_per_hour = 1000\n"

    /// Starts the master, without waiting for anything.
    func startMaster() throws {
        let null = try Descriptors.openNull()
        defer { close(null) }
        var environment = Environment.current()
        environment["BOTMASTER_MAX_WORKERS"] = "\(workerCount)"
        environment["BOTMASTER_MAX_WORKERS_PER_CORE"] = "\(workerCount)"
        environment["STATUS_PORT"] = "\(statusPort)"
        environment.merge(self.environment) { _, new in new }
        masterPID = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["\(binaries)/botmaster", "start", "--foreground", "--daemonized", "--home", home],
                environment: environment,
                descriptors: [0: null, 1: null, 2: null]))
    }

    var client: ControlClient { ControlClient(socketPath: "\(home)/run/control.sock", timeout: .seconds(30)) }

    /// Starts the master and returns the time until every worker is `running`.
    func startAndWaitUntilRunning() async throws -> Duration {
        let started = MonotonicTime.now()
        try startMaster()
        // Ask for one worker's row only: the master line counts the whole fleet, and a full
        // 1000-row status every 10 ms would load the machine being measured.
        let probe = ControlRequest(command: "status", id: "bot0")
        while MonotonicTime.now() - started < .seconds(120) {
            if let status = try? client.send(probe).status, status.master.workersRunning == workerCount {
                return MonotonicTime.now() - started
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw Failure(description: "the fleet was not running after 120 s; see \(home)/logs/master.log")
    }

    struct Memory {
        var masterRSS: UInt64
        var workerRSSMean: UInt64
        var workerRSSMax: UInt64
        var workerUSSMean: UInt64
        var workerUSSMax: UInt64
        var workerPSSMean: UInt64
    }

    func memory() -> Memory {
        let pids = (try? client.send(.status).status)?.workers.compactMap(\.pid) ?? []
        let samples = pids.compactMap { ProcFS.memory(of: $0) }
        let count = UInt64(max(samples.count, 1))
        return Memory(
            masterRSS: ProcFS.memory(of: masterPID)?.rss ?? 0,
            workerRSSMean: samples.map(\.rss).reduce(0, +) / count,
            workerRSSMax: samples.map(\.rss).max() ?? 0,
            workerUSSMean: samples.map(\.uss).reduce(0, +) / count,
            workerUSSMax: samples.map(\.uss).max() ?? 0,
            workerPSSMean: samples.map(\.pss).reduce(0, +) / count)
    }

    /// The master's CPU time over an idle window, as a percentage of one core.
    func masterIdleCPU(seconds: Int) async throws -> Double {
        guard let before = ProcFS.cpuTicks(of: masterPID) else { throw Failure(description: "cannot read the master's CPU time") }
        let started = MonotonicTime.now()
        try await Task.sleep(for: .seconds(seconds))
        guard let after = ProcFS.cpuTicks(of: masterPID) else { throw Failure(description: "cannot read the master's CPU time") }
        let elapsed = Double((MonotonicTime.now() - started).nanosecondsClamped) / 1e9
        return Double(after - before) / Double(ProcFS.ticksPerSecond) / elapsed * 100
    }

    struct Latencies {
        var respawn: Summary
        var ready: Summary
    }

    struct Summary {
        var median: Duration
        var maximum: Duration

        init(_ values: [Duration]) {
            let sorted = values.sorted()
            median = sorted.isEmpty ? .zero : sorted[sorted.count / 2]
            maximum = sorted.last ?? .zero
        }
    }

    /// Kills workers one at a time with SIGKILL and times their replacement: until the new
    /// process exists (its pid file changes) and until it is `running` again (hello received).
    func restartLatencies(samples: Int) async throws -> Latencies {
        var respawn: [Duration] = []
        var ready: [Duration] = []
        for sample in 0..<samples {
            let id = "bot\(sample * max(workerCount / max(samples, 1), 1) % workerCount)"
            guard let old = try client.send(ControlRequest(command: "status", id: id)).status?.workers.first?.pid else {
                throw Failure(description: "\(id) has no pid")
            }
            let pidFile = "\(home)/run/workers/\(id).pid"
            let killed = MonotonicTime.now()
            kill(old, SIGKILL)
            var respawned: Duration?
            while MonotonicTime.now() - killed < .seconds(10) {
                if respawned == nil, let bytes = FileSystem.readFile(pidFile),
                    let pid = pid_t(String(decoding: bytes, as: UTF8.self).split(separator: " ").first ?? ""), pid != old
                {
                    respawned = MonotonicTime.now() - killed
                }
                if respawned != nil,
                    let worker = try client.send(ControlRequest(command: "status", id: id)).status?.workers.first,
                    worker.state == "running", worker.pid != old
                {
                    ready.append(MonotonicTime.now() - killed)
                    break
                }
                try await Task.sleep(for: .microseconds(200))
            }
            guard let respawned else { throw Failure(description: "\(id) was not restarted within 10 s") }
            respawn.append(respawned)
        }
        return Latencies(respawn: Summary(respawn), ready: Summary(ready))
    }

    /// SIGTERM to the master; returns the time until it exited.
    func stop() async throws -> Duration {
        let started = MonotonicTime.now()
        kill(masterPID, SIGTERM)
        var status: Int32 = 0
        while waitpid(masterPID, &status, WNOHANG) == 0 {
            if MonotonicTime.now() - started > .seconds(120) { throw Failure(description: "the master did not stop in 120 s") }
            try await Task.sleep(for: .milliseconds(5))
        }
        masterPID = 0
        return MonotonicTime.now() - started
    }

    /// Stops the fleet (SIGTERM; SIGKILL after 20 s) so that no worker outlives the run and
    /// loads the next one, and removes the home unless asked to keep it.
    func tearDown(keepHome: Bool) {
        if masterPID > 0 {
            kill(masterPID, SIGTERM)
            var status: Int32 = 0
            let deadline = MonotonicTime.now() + .seconds(20)
            while waitpid(masterPID, &status, WNOHANG) == 0 {
                if MonotonicTime.now() > deadline {
                    kill(masterPID, SIGKILL)
                    waitpid(masterPID, &status, 0)
                    break
                }
                usleep(20_000)
            }
            masterPID = 0
        }
        if !keepHome { FileSystem.removeTree(home) }
    }
}
