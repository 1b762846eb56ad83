import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

/// A temporary home with a fleet, and the real `botmaster` binary run against it. Everything
/// it starts is stopped by ``tearDown()``, whatever the test did.
final class TestFleet {
    let home: String
    let binaries: String
    private(set) var masterPID: pid_t?
    /// The status API's port for this fleet's master: a free one, so fleets never collide.
    let statusPort: Int

    /// The build directory: the test runner sits beside `botmaster` and `botworker`.
    static let binaries: String = {
        let executable = FileSystem.currentExecutablePath() ?? ""
        return String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
    }()

    /// Creates `home/workers/<id>.toml` for each entry.
    init(workers: [String: String]) throws {
        home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-e2e-")
        binaries = Self.binaries
        statusPort = LoopbackPort.free()
        try FileSystem.createDirectory("\(home)/workers")
        for (id, text) in workers { try write(id: id, text) }
    }

    /// A fleet in an existing home run by the binaries in `binaries` (an installed fleet).
    init(home: String, binaries: String) {
        self.home = home
        self.binaries = binaries
        statusPort = LoopbackPort.free()
    }

    func write(id: String, _ text: String) throws {
        try FileSystem.writeFileAtomically("\(home)/workers/\(id).toml", Array(text.utf8))
    }

    /// The fixture worker's argv for a mode, as TOML.
    static func pythonWorker(_ mode: String) -> String {
        #"command = ["python3", "\#(fixture("test_worker.py"))", "\#(mode)"]"#
    }

    /// The path of a file in Tests/Fixtures.
    static func fixture(_ name: String) -> String {
        // Tests/EndToEndTests/TestFleet.swift → Tests/Fixtures/<name>
        let testsDirectory = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(2).joined(separator: "/")
        return testsDirectory + "/Fixtures/" + name
    }

    /// Starts `botmaster start --foreground` in the background of the test.
    @discardableResult
    func startMaster(environment extra: [String: String] = [:], prefix: [String] = []) throws -> pid_t {
        let output = open("\(home)/master.stderr", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        defer { close(output) }
        let null = try Descriptors.openNull()
        defer { close(null) }
        var environment = Environment.current()
        environment["STATUS_PORT"] = "\(statusPort)"
        environment.merge(extra) { _, new in new }
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: prefix + ["\(binaries)/botmaster", "start", "--foreground", "--home", home],
                environment: environment,
                descriptors: [0: null, 1: output, 2: output]))
        masterPID = pid
        return pid
    }

    /// Runs a CLI command to completion; `prefix` runs it through another program (`setpriv`…).
    func run(
        _ arguments: [String], environment extra: [String: String] = [:], prefix: [String] = []
    ) throws -> (code: Int32, output: String) {
        var environment = Environment.current()
        environment["STATUS_PORT"] = "\(statusPort)"
        environment.merge(extra) { _, new in new }
        return try runProgram(prefix + ["\(binaries)/botmaster"] + arguments + ["--home", home], environment: environment)
    }

    /// Waits for a child of the test to exit.
    func waitFor(_ pid: pid_t) -> BotmasterSystem.ExitStatus {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return BotmasterSystem.ExitStatus(rawWaitStatus: status)
    }

    /// Waits for the master (a child of the test) to exit, up to `timeout`.
    func waitForMasterExit(timeout: Duration) async -> BotmasterSystem.ExitStatus? {
        guard let pid = masterPID else { return nil }
        let deadline = MonotonicTime.now() + timeout
        while MonotonicTime.now() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                masterPID = nil
                return BotmasterSystem.ExitStatus(rawWaitStatus: status)
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return nil
    }

    var client: ControlClient { ControlClient(socketPath: "\(home)/run/control.sock", timeout: .seconds(5)) }

    /// Polls the master's status until `condition` holds; fails the test on timeout. The default
    /// is generous: at the suite's start dozens of masters and workers start at once on two
    /// cores, and a master was once seen to need more than 20 s to answer its first status.
    @discardableResult
    func waitForStatus(
        timeout: Duration = .seconds(45), sourceLocation: SourceLocation = #_sourceLocation,
        _ condition: (FleetStatus) -> Bool
    ) async throws -> FleetStatus {
        let deadline = MonotonicTime.now() + timeout
        var last: FleetStatus?
        // Looks once more after the deadline: a task of a test process starved by the parallel
        // suite can oversleep it, and must not fail without having looked.
        while true {
            let late = MonotonicTime.now() >= deadline
            if let status = try? client.send(.status).status {
                last = status
                if condition(status) { return status }
            }
            if late { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "condition not met in time; last status: \(String(describing: last))\nmaster log:\n\(masterLog)", sourceLocation: sourceLocation
        )
        throw TimedOut()
    }

    struct TimedOut: Error {}

    func worker(_ id: String, in status: FleetStatus) -> WorkerStatus? {
        status.workers.first { $0.id == id }
    }

    var masterLog: String { String(decoding: FileSystem.readFile("\(home)/logs/master.log") ?? [], as: UTF8.self) }

    func workerLog(_ id: String) -> String {
        String(decoding: FileSystem.readFile("\(home)/logs/worker_\(id).log") ?? [], as: UTF8.self)
    }

    /// Kills the master and every process group it started, and removes the home.
    func tearDown() {
        if let status = try? client.send(.status).status {
            for pid in status.workers.compactMap(\.pid) { kill(-pid, SIGKILL) }
        }
        if let pid = masterPID {
            kill(pid, SIGKILL)
            _ = waitFor(pid)
        }
        for name in FileSystem.directoryEntries("\(home)/run/workers") ?? [] {
            if let pid = FileSystem.readFile("\(home)/run/workers/\(name)").flatMap({
                pid_t(String(decoding: $0, as: UTF8.self).split(separator: " ").first ?? "")
            }) {
                kill(-pid, SIGKILL)
            }
        }
        FileSystem.removeTree(home)
    }
}
