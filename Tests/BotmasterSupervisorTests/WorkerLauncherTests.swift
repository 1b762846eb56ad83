import BotmasterConfig
import BotmasterSystem
import Foundation  // Thread: a thread of its own that exits
import Glibc
import Testing

@testable import BotmasterSupervisor

/// Workers are started from a thread that outlives whichever thread asked for the start.
@Suite struct WorkerLauncherTests {
    /// A worker that asks for a parent-death signal, as `botworker` does, then reports on stdout
    /// and sleeps. Linux sends that signal when the *thread* that spawned the child exits.
    static let deathSignalWorker = [
        "python3", "-c",
        """
        import ctypes, os, time
        ctypes.CDLL(None).prctl(1, 15, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGTERM
        os.write(1, b"armed\\n")
        time.sleep(600)
        """,
    ]

    @Test func aWorkerOutlivesTheThreadThatAskedForIt() async throws {
        let home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-launcher-")
        defer { FileSystem.removeTree(home) }
        let definition = WorkerDefinition(
            id: "orphan", file: "\(home)/workers/orphan.toml", command: Self.deathSignalWorker, workerProtocol: .none)
        let configuration = SupervisorConfiguration(
            layout: HomeLayout(home: home), settings: MasterSettings(), fleet: [definition], defaultWorkerCommand: [],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])

        // A thread of its own that launches, waits until the worker has armed its signal, and
        // exits: as a retired thread of the cooperative pool does.
        let launched = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<LaunchedWorker, any Error>) in
            let thread = Thread {
                do {
                    let worker = try WorkerLauncher.launch(definition: definition, configuration: configuration, speaksProtocol: false)
                    var byte: UInt8 = 0
                    _ = read(worker.outputFD, &byte, 1)
                    continuation.resume(returning: worker)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
        defer {
            kill(launched.pid, SIGKILL)
            var status: Int32 = 0
            waitpid(launched.pid, &status, 0)
            close(launched.outputFD)
        }
        try await Task.sleep(for: .milliseconds(500))
        var status: Int32 = 0
        #expect(waitpid(launched.pid, &status, WNOHANG) == 0, "the worker died with the thread that launched it (wait status \(status))")
    }
}
