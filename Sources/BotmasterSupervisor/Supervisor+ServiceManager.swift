import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Logging

// Readiness, status and watchdog notifications to systemd.
extension Supervisor {
    // MARK: Service manager

    /// One line for `systemctl status`: `1000 bots: 998 running, 2 errored`.
    func statusLine(_ counts: WorkerStateCounts? = nil) -> String {
        let counts = counts ?? WorkerStateCounts(workers.values.lazy.map(\.lifecycle.state))
        let parts = WorkerState.allCases.compactMap { state in counts[state] > 0 ? "\(counts[state]) \(state.rawValue)" : nil }
        return "\(workers.count) bot\(workers.count == 1 ? "" : "s"): " + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
    }

    /// Readiness once every bot has left `starting`, the status line when it changes, and the
    /// watchdog ping. Called from the tick, so a stalled supervisor loop stops the pings and
    /// systemd's watchdog restarts the master.
    /// - Parameter counted: the workers' state counts when the caller has just counted them.
    func notifyServiceManager(_ counted: WorkerStateCounts? = nil) {
        guard let notify = configuration.notify, !shuttingDown else { return }
        let counts = counted ?? WorkerStateCounts(workers.values.lazy.map(\.lifecycle.state))
        let now = MonotonicTime.now()
        if let interval = configuration.watchdogPingInterval, now - lastWatchdogPing >= interval {
            notify("WATCHDOG=1")
            lastWatchdogPing = now
        }
        if !readyNotified {
            guard pendingStarts.isEmpty, counts[.starting] == 0 else { return }
            readyNotified = true
            lastStateCounts = counts
            notify("READY=1\nSTATUS=\(statusLine(counts))")
        } else if counts != lastStateCounts {
            lastStateCounts = counts
            notify("STATUS=\(statusLine(counts))")
        }
    }
}
