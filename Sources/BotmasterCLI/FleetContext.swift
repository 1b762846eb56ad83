import BotmasterConfig
import BotmasterControl
import BotmasterSystem
import Glibc

/// The home, settings and fleet a command works on.
struct FleetContext {
    let layout: HomeLayout
    private(set) var environment: [String: String]

    init(options: HomeOptions) {
        environment = Environment.current()
        let home = options.home ?? environment["BOTMASTER_HOME"] ?? "."
        layout = HomeLayout(home: FileSystem.absolutePath(home))
    }

    /// The same home with another environment: the running master's, for `restart`.
    func with(environment: [String: String]) -> FleetContext {
        var context = self
        context.environment = environment
        return context
    }

    /// Settings and fleet (with `sourced`, the fleet source's bots), or every problem with them.
    func load(sourced: [SourcedBot] = []) -> Result<(MasterSettings, FleetDefinition), ConfigProblems> {
        let (settings, settingProblems) = MasterSettings.from(environment: environment)
        guard FileSystem.exists(layout.workersDirectory) else {
            return .failure(
                ConfigProblems(
                    settingProblems + [
                        ConfigProblem(
                            file: layout.workersDirectory, key: "", message: "no fleet directory here (create it, or pass --home)")
                    ]))
        }
        let fleet = FleetLoader.load(
            directory: layout.workersDirectory,
            displayDirectory: "workers",
            maximumWorkers: settings.workerLimit(cores: Environment.coreCount),
            sourced: sourced.map(\.definition))
        let problems =
            settingProblems + fleet.problems + settings.webhook.problems(for: fleet.workers, environment: environment)
            + StoreSettings.problems(for: fleet.workers, environment: environment)
        return problems.isEmpty ? .success((settings, fleet)) : .failure(ConfigProblems(problems))
    }

    /// Loads, or prints every problem as `file: key: problem` and fails.
    func loadOrFail() throws(CLIFailure) -> (MasterSettings, FleetDefinition) {
        switch load() {
        case .success(let loaded): return loaded
        case .failure(let problems):
            for problem in problems.problems { Terminal.printError(problem.description) }
            throw CLIFailure(
                "the fleet in \(layout.home) is not valid (\(problems.problems.count) problem\(problems.problems.count == 1 ? "" : "s"))")
        }
    }

    var client: ControlClient { ControlClient(socketPath: layout.controlSocket) }

    /// Whether a master holds this home's lock, and its pid.
    var runningMaster: pid_t? {
        guard InstanceLock.isHeld(path: layout.lockFile) else { return nil }
        return InstanceLock.readPID(layout.masterPIDFile) ?? -1
    }

    /// What to tell the operator when the master could not be asked: another user's master
    /// is "permission denied", a home without a master "no master is running".
    /// Sends `request` to the master; a refusal prints every problem the master gave (a
    /// rejected fleet change has several) and fails with its reason.
    @discardableResult
    func request(_ request: ControlRequest) throws(CLIFailure) -> ControlResponse {
        let answer: ControlResponse
        do {
            answer = try client.send(request)
        } catch {
            throw unreachable(error)
        }
        guard answer.ok else {
            for problem in answer.problems ?? [] { Terminal.printError(problem) }
            throw CLIFailure(answer.error ?? "the master refused")
        }
        return answer
    }

    func unreachable(_ error: ControlClientError) -> CLIFailure {
        if case .permissionDenied = error { return CLIFailure("\(error)") }
        if let denied = runDirectoryDenied { return denied }
        return CLIFailure(runningMaster == nil ? "no master is running in \(layout.home)" : "\(error)")
    }

    /// "Permission denied" when the home's run directory belongs to another user: its master
    /// cannot be asked or signalled from here, whether it runs or not.
    var runDirectoryDenied: CLIFailure? {
        guard access(layout.runDirectory, R_OK | X_OK) != 0, errno == EACCES else { return nil }
        return CLIFailure("\(ControlClientError.permissionDenied(socketPath: layout.controlSocket))")
    }

    /// The status from the running master (with `id`, only that bot's row).
    func fetchStatus(only id: String? = nil) throws(CLIFailure) -> FleetStatus {
        guard let status = try request(id.map(ControlRequest.statusOf) ?? .status).status else {
            throw CLIFailure("the master gave no status")
        }
        return status
    }
}
