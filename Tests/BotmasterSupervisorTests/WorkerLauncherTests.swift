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

    @Test func workersOutliveTheThreadThatAskedForThem() async throws {
        let home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-launcher-")
        defer { FileSystem.removeTree(home) }
        // Two at once: each spawn thread starts one.
        let definitions = ["orphan", "sibling"].map {
            WorkerDefinition(id: $0, file: "\(home)/workers/\($0).toml", command: Self.deathSignalWorker, workerProtocol: .none)
        }
        let configuration = SupervisorConfiguration(
            layout: HomeLayout(home: home), settings: MasterSettings(), fleet: definitions, defaultWorkerCommand: [],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])

        // A thread of its own that launches, waits until the workers have armed their signal,
        // and exits: as a retired thread of the cooperative pool does.
        let launched = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[LaunchedWorker], any Error>) in
            let thread = Thread {
                do {
                    let workers = try WorkerLauncher.launchAll(definitions.map { ($0, false) }, configuration: configuration)
                        .map { try $0.get() }
                    for worker in workers {
                        var byte: UInt8 = 0
                        _ = read(worker.outputFD, &byte, 1)
                    }
                    continuation.resume(returning: workers)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
        #expect(launched.count == 2 && launched[0].pid != launched[1].pid)
        defer {
            for worker in launched {
                kill(worker.pid, SIGKILL)
                var status: Int32 = 0
                waitpid(worker.pid, &status, 0)
                close(worker.outputFD)
            }
        }
        try await Task.sleep(for: .milliseconds(500))
        for worker in launched {
            var status: Int32 = 0
            #expect(waitpid(worker.pid, &status, WNOHANG) == 0, "a worker died with the thread that launched it (wait status \(status))")
        }
    }

    @Test func aCommandThatCannotStartFailsAlone() throws {
        let home = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-launcher-")
        defer { FileSystem.removeTree(home) }
        let good = WorkerDefinition(id: "good", file: "\(home)/workers/good.toml", command: ["sleep", "600"], workerProtocol: .none)
        let missing = WorkerDefinition(
            id: "missing", file: "\(home)/workers/missing.toml", command: ["/nonexistent/program"], workerProtocol: .botmaster)
        let configuration = SupervisorConfiguration(
            layout: HomeLayout(home: home), settings: MasterSettings(), fleet: [good, missing], defaultWorkerCommand: [],
            environment: ["PATH": "/usr/local/bin:/usr/bin:/bin"])
        let results = WorkerLauncher.launchAll([(missing, true), (good, false)], configuration: configuration)
        #expect(results.count == 2)
        guard case .failure = results[0] else {
            Issue.record("a program that does not exist was started")
            return
        }
        let started = try results[1].get()
        kill(started.pid, SIGKILL)
        var status: Int32 = 0
        waitpid(started.pid, &status, 0)
        close(started.outputFD)
    }
}
