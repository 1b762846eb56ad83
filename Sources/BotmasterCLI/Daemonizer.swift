import BotmasterConfig
import BotmasterControl
import BotmasterSystem
import Glibc

/// Starts the master in the background (a new session, no terminal, output to
/// `logs/master.out`) and follows the fleet's start until it is up, showing progress.
struct Daemonizer {
    let context: FleetContext
    let fleet: FleetDefinition
    let waitSeconds: Int?

    func start() throws(CLIFailure) {
        let layout = context.layout
        guard let executable = FileSystem.currentExecutablePath() else { throw CLIFailure("cannot find the botmaster executable") }
        do {
            try FileSystem.createDirectory(layout.logsDirectory, mode: 0o750)
        } catch {
            throw CLIFailure("cannot create \(layout.logsDirectory): \(error)")
        }
        let output = open(layout.masterOutput, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard output >= 0 else { throw CLIFailure("cannot open \(layout.masterOutput)") }
        defer { close(output) }
        let null: Int32
        do { null = try Descriptors.openNull() } catch { throw CLIFailure("\(error)") }
        defer { close(null) }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(
                SpawnRequest(
                    arguments: [executable, "start", "--foreground", "--daemonized", "--home", layout.home],
                    environment: context.environment,
                    workingDirectory: layout.home,
                    descriptors: [0: null, 1: output, 2: output],
                    newSession: true))
        } catch {
            throw CLIFailure("cannot start the master: \(error)")
        }
        try follow(masterPID: pid)
    }

    /// Polls the new master until every enabled bot is running, something fails, or time runs out.
    private func follow(masterPID pid: pid_t) throws(CLIFailure) {
        let enabled = fleet.enabledWorkers
        let clustered = MasterSettings.from(environment: context.environment).0.cluster != nil
        let longestStart = enabled.map(\.limits.startTimeout).max() ?? .seconds(30)
        let deadline = MonotonicTime.now() + (waitSeconds.map { .seconds($0) } ?? longestStart + .seconds(15))
        let interactive = Terminal.standardOutputIsTerminal
        var lastLine = ""
        var lastPrinted = MonotonicTime(nanoseconds: 0)
        while true {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                if interactive { Terminal.write("\n") }
                throw CLIFailure(
                    "the master exited during start-up (\(ExitStatus(rawWaitStatus: status))); see \(context.layout.masterLog) and \(context.layout.masterOutput)"
                )
            }
            if let response = try? context.client.send(.status), let fleetStatus = response.status {
                // Disabled bots are listed but never start; a master still cleaning up after its
                // predecessor may list none yet, which is not "all up".
                let live = fleetStatus.workers.filter { $0.state != WorkerStatus.disabledState }
                let running = live.filter { $0.state == "running" }.count
                let errored = live.filter { $0.state == "errored" }.map(\.id)
                let line =
                    "starting \(live.count) bot\(live.count == 1 ? "" : "s"): \(running) running"
                    + (errored.isEmpty ? "" : ", \(errored.count) errored")
                let now = MonotonicTime.now()
                if interactive {
                    if line != lastLine { Terminal.write("\r\u{1B}[K" + line) }
                } else if line != lastLine && now - lastPrinted >= .seconds(1) {
                    Terminal.write(line + "\n")
                    lastPrinted = now
                }
                lastLine = line
                // In cluster mode this master runs its share of the bots: up once its first
                // round in Redis went through and the bots it took are running.
                let expected: Int
                if let cluster = fleetStatus.master.cluster {
                    expected = cluster.ok ? live.count : Int.max
                } else {
                    expected = clustered ? Int.max : enabled.count
                }
                if live.count >= expected && running + errored.count == live.count {
                    if interactive { Terminal.write("\n") }
                    Terminal.write("master running (pid \(pid)), \(running)/\(live.count) bots running\n")
                    if !errored.isEmpty {
                        throw CLIFailure("errored: \(errored.joined(separator: ", ")); see `botmaster logs <id>`")
                    }
                    return
                }
            }
            if MonotonicTime.now() >= deadline {
                if interactive { Terminal.write("\n") }
                throw CLIFailure("the master is running (pid \(pid)) but the fleet is not all up yet: \(lastLine); see `botmaster status`")
            }
            usleep(200_000)  // a full status of 1000 workers is not free for the master
        }
    }
}
