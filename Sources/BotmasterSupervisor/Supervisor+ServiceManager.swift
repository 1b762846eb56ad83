import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Logging

// Readiness, status and watchdog notifications to systemd.
extension Supervisor {
    // MARK: Service manager

    /// One line for `systemctl status`: `1000 bots: 998 running, 2 errored`.
    func statusLine() -> String {
        var counts: [WorkerState: Int] = [:]
        for worker in workers.values { counts[worker.lifecycle.state, default: 0] += 1 }
        let parts = WorkerState.allCases.compactMap { state in counts[state].map { "\($0) \(state.rawValue)" } }
        return "\(workers.count) bot\(workers.count == 1 ? "" : "s"): " + (parts.isEmpty ? "none" : parts.joined(separator: ", "))
    }

    /// Readiness once every bot has left `starting`, the status line when it changes, and the
    /// watchdog ping. Called from the tick, so a stalled supervisor loop stops the pings and
    /// systemd's watchdog restarts the master.
    func notifyServiceManager() {
        guard let notify = configuration.notify, !shuttingDown else { return }
        let now = MonotonicTime.now()
        if let interval = configuration.watchdogPingInterval, now - lastWatchdogPing >= interval {
            notify("WATCHDOG=1")
            lastWatchdogPing = now
        }
        let line = statusLine()
        if !readyNotified {
            guard pendingStarts.isEmpty, !workers.values.contains(where: { $0.lifecycle.state == .starting }) else { return }
            readyNotified = true
            lastStatusLine = line
            notify("READY=1\nSTATUS=\(line)")
        } else if line != lastStatusLine {
            lastStatusLine = line
            notify("STATUS=\(line)")
        }
    }
}
