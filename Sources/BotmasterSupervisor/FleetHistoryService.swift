import BotmasterSystem
import ServiceLifecycle

/// Samples the fleet into a ``FleetHistory`` once per interval while the master runs.
public struct FleetHistoryService: Service {
    private let supervisor: Supervisor
    private let history: FleetHistory

    public init(supervisor: Supervisor, history: FleetHistory) {
        self.supervisor = supervisor
        self.history = history
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: history.interval) }
            } catch {
                break
            }
            history.record(await supervisor.status(), atMs: WallClock.nowMilliseconds())
        }
    }
}
