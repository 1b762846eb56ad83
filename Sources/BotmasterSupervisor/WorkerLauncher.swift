import BotmasterConfig
import BotmasterIPC
import BotmasterSystem
import Glibc

/// A process just started, with the master's ends of its descriptors.
struct LaunchedWorker: Sendable {
    var pid: pid_t
    /// The read end of the pipe carrying the worker's stdout and stderr.
    var outputFD: Int32
    /// The master's end of the IPC socket pair, for protocol workers.
    var ipcFD: Int32?
    /// The page the worker writes its heartbeats to, for protocol workers (unless the page
    /// could not be made: then its heartbeats come as frames).
    var heartbeatPage: SharedCounterPage?
    /// Why a protocol worker got no heartbeat page (`memfd_create` refused: no memory, no
    /// descriptors, a seccomp profile that forbids it).
    var heartbeatPageFailure: SystemError?
}

/// Builds a worker's argv, environment and descriptors and spawns it.
enum WorkerLauncher {
    /// The descriptor number a protocol worker finds its channel on.
    static let ipcDescriptor: Int32 = 3
    /// The descriptor number a protocol worker finds its heartbeat page on.
    static let heartbeatDescriptor: Int32 = 4

    /// Spawns the workers of `items` (each definition with whether it speaks the protocol),
    /// their `posix_spawn`s side by side on the spawn threads; one result per item, in order.
    static func launchAll(_ items: [(definition: WorkerDefinition, speaksProtocol: Bool)], configuration: SupervisorConfiguration)
        -> [Result<LaunchedWorker, SystemError>]
    {
        let prepared = items.map { item in
            Result { () throws(SystemError) in
                try PreparedLaunch(definition: item.definition, configuration: configuration, speaksProtocol: item.speaksProtocol)
            }
        }
        let ready = prepared.compactMap { try? $0.get() }
        // One outcome per prepared launch, in order: handed out in that order below.
        var spawned = SpawnThread.runAll(ready.map(\.request)) { request throws(SystemError) in try ProcessSpawner.spawn(request) }[...]
        return prepared.map { preparation in preparation.flatMap { launch in launch.finish(spawned.removeFirst()) } }
    }

    /// A worker's descriptors and spawn request, made before the spawn.
    struct PreparedLaunch: Sendable {
        let request: SpawnRequest
        let output: (read: Int32, write: Int32)
        let ipc: (master: Int32, worker: Int32)?
        let heartbeatPage: (page: SharedCounterPage, descriptor: Int32)?
        let heartbeatPageFailure: SystemError?
        let null: Int32

        init(definition: WorkerDefinition, configuration: SupervisorConfiguration, speaksProtocol: Bool) throws(SystemError) {
            let output = try Descriptors.pipe()
            var ipc: (master: Int32, worker: Int32)?
            let null: Int32
            // Heartbeats through shared memory cost the master no system call and no wake-up
            // (with 1,000 workers at 1 s, reading them from the channels was over half of an
            // idle master's CPU). Without a page (out of memory or descriptors) the worker
            // sends them as frames, as a worker that ignores the page does anyway; the failure
            // goes to the supervisor, which tells the operator once.
            let madePage: Result<(page: SharedCounterPage, descriptor: Int32), SystemError>? =
                speaksProtocol ? Result { () throws(SystemError) in try SharedCounterPage.create(name: "botmaster-heartbeat") } : nil
            let heartbeatPage = try? madePage?.get()
            do {
                if speaksProtocol { ipc = try Descriptors.socketPair() }
                null = try Descriptors.openNull()
            } catch {
                Descriptors.close(output.read)
                Descriptors.close(output.write)
                if let ipc {
                    Descriptors.close(ipc.master)
                    Descriptors.close(ipc.worker)
                }
                if let heartbeatPage { Descriptors.close(heartbeatPage.descriptor) }
                throw error
            }
            var descriptors: [Int32: Int32] = [0: null, 1: output.write, 2: output.write]
            if let ipc { descriptors[ipcDescriptor] = ipc.worker }
            if let heartbeatPage { descriptors[heartbeatDescriptor] = heartbeatPage.descriptor }
            self.output = output
            self.ipc = ipc
            self.heartbeatPage = heartbeatPage
            if case .failure(let failure) = madePage { heartbeatPageFailure = failure } else { heartbeatPageFailure = nil }
            self.null = null
            var environment = environment(for: definition, configuration: configuration, speaksProtocol: speaksProtocol)
            environment["BOTMASTER_HEARTBEAT_FD"] = heartbeatPage.map { _ in "\(heartbeatDescriptor)" }
            self.request = SpawnRequest(
                arguments: definition.command ?? configuration.defaultWorkerCommand,
                environment: environment,
                workingDirectory: configuration.layout.home,
                descriptors: descriptors,
                newProcessGroup: true)
        }

        /// Closes the worker's ends (and, when the spawn failed, the master's too).
        func finish(_ spawned: Result<pid_t, SystemError>) -> Result<LaunchedWorker, SystemError> {
            Descriptors.close(output.write)
            Descriptors.close(null)
            if let ipc { Descriptors.close(ipc.worker) }
            // The mapping outlives the descriptor; the worker has its own copy.
            if let heartbeatPage { Descriptors.close(heartbeatPage.descriptor) }
            switch spawned {
            case .success(let pid):
                return .success(
                    LaunchedWorker(
                        pid: pid, outputFD: output.read, ipcFD: ipc?.master, heartbeatPage: heartbeatPage?.page,
                        heartbeatPageFailure: heartbeatPageFailure))
            case .failure(let error):
                Descriptors.close(output.read)
                if let ipc { Descriptors.close(ipc.master) }
                return .failure(error)
            }
        }
    }

    /// The master's environment, then the bot's `env`, then the variables that tell the worker
    /// who it is (which a bot's `env` cannot override).
    static func environment(for definition: WorkerDefinition, configuration: SupervisorConfiguration, speaksProtocol: Bool)
        -> [String: String]
    {
        var environment = configuration.environment
        environment.merge(definition.environment) { _, bot in bot }
        environment["BOTMASTER_BOT_ID"] = definition.id
        environment["BOTMASTER_HOME"] = configuration.layout.home
        environment["BOTMASTER_MASTER_PID"] = "\(getpid())"
        if speaksProtocol {
            environment["BOTMASTER_IPC_FD"] = "\(ipcDescriptor)"
            environment["BOTMASTER_PROTOCOL"] = "\(ProtocolVersion.current)"
        } else {
            environment["BOTMASTER_IPC_FD"] = nil
            environment["BOTMASTER_PROTOCOL"] = nil
        }
        return environment
    }
}
