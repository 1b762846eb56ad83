import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads the fleet on SIGUSR2, the conventional hot-reload signal (systemd's `ExecReload`
/// sends it). A reload that finds an invalid file changes nothing and says why in the log and
/// in status.
public struct ReloadSignalService: Service {
    private let supervisor: Supervisor

    public init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    public func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sigusr2).cancelOnGracefulShutdown() {
            _ = await supervisor.operatorReload(trigger: "SIGUSR2")
        }
    }
}
