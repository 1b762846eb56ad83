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
}

/// Builds a worker's argv, environment and descriptors and spawns it.
enum WorkerLauncher {
    /// The descriptor number a protocol worker finds its channel on.
    static let ipcDescriptor: Int32 = 3

    static func launch(definition: WorkerDefinition, configuration: SupervisorConfiguration, speaksProtocol: Bool) throws(SystemError)
        -> LaunchedWorker
    {
        let output = try Descriptors.pipe()
        var ipc: (master: Int32, worker: Int32)?
        let null: Int32
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
            throw error
        }
        defer {
            Descriptors.close(output.write)
            Descriptors.close(null)
            if let ipc { Descriptors.close(ipc.worker) }
        }
        var descriptors: [Int32: Int32] = [0: null, 1: output.write, 2: output.write]
        if let ipc { descriptors[ipcDescriptor] = ipc.worker }
        let request = SpawnRequest(
            arguments: definition.command ?? configuration.defaultWorkerCommand,
            environment: environment(for: definition, configuration: configuration, speaksProtocol: speaksProtocol),
            workingDirectory: configuration.layout.home,
            descriptors: descriptors,
            newProcessGroup: true)
        do {
            // From the spawn thread: see there why not from this one.
            let pid = try SpawnThread.run { () throws(SystemError) in try ProcessSpawner.spawn(request) }
            return LaunchedWorker(pid: pid, outputFD: output.read, ipcFD: ipc?.master)
        } catch {
            Descriptors.close(output.read)
            if let ipc { Descriptors.close(ipc.master) }
            throw error
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
