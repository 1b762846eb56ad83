import BotmasterConfig
import BotmasterControl
import BotmasterSupervisor

/// The human form of the status document: a summary line and an aligned table.
public enum StatusTable {
    public static func render(_ status: FleetStatus) -> String {
        let master = status.master
        var output =
            "master pid \(master.pid), up \(duration(master.uptimeMs)), version \(master.version), "
            + "\(master.workersRunning)/\(master.workersTotal) running\n"
        if let reload = master.lastReload {
            output += "last reload: \(reload.ok ? "applied" : "REJECTED"), \(reload.message)\n"
        }
        if let source = master.fleetSource {
            output += "fleet source: \(source.url): \(source.bots) bot\(source.bots == 1 ? "" : "s"), "
            if source.ok {
                output += "ok\n"
            } else {
                let since = source.failingSinceMs.map { " since \(LogTimestamp.format(millisecondsSinceEpoch: $0))" } ?? ""
                output += "FAILING\(since) (the last good fleet keeps running): \(source.error ?? "no answer yet")\n"
            }
        }
        let header = [
            "ID", "PID", "STATE", "UPTIME", "RESTARTS", "CPU", "PSS", "RSS", "MESSAGES", "ERRORS", "STORE", "HEARTBEAT", "LAST EXIT",
        ]
        var rows = [header]
        for worker in status.workers {
            rows.append([
                worker.id,
                worker.pid.map { "\($0)" } ?? "-",
                worker.state,
                worker.uptimeMs.map(duration) ?? "-",
                "\(worker.restarts)",
                worker.cpuPercent.map(percent) ?? "-",
                worker.pssBytes.map(ByteSizeText.format) ?? "-",
                worker.rssBytes.map(ByteSizeText.format) ?? "-",
                "\(worker.messages)",
                "\(worker.errors)",
                worker.bot.map(storeCell) ?? "-",
                worker.lastHeartbeatMsAgo.map { duration($0) + " ago" } ?? "-",
                worker.lastExit ?? "-",
            ])
        }
        for line in TextColumns.lines(rows) { output += line + "\n" }
        return output
    }

    /// The store, with a warning where it is not durable or cannot be used.
    static func storeCell(_ bot: BotCounters) -> String {
        if !bot.storeDurable { return "memory (NOT DURABLE)" }
        return bot.storeProblem == nil ? bot.store : bot.store.uppercased()
    }

    /// `0%`, `3.5%`, `120%` (above 100 when the group keeps more than one core busy).
    static func percent(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))%" : "\(value)%"
    }

    /// `950ms`, `12s`, `5m03s`, `2h05m`, `3d04h`.
    static func duration(_ milliseconds: Int64) -> String {
        if milliseconds < 1000 { return "\(max(milliseconds, 0))ms" }
        let seconds = milliseconds / 1000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + two(seconds % 60) + "s" }
        if seconds < 86400 { return "\(seconds / 3600)h" + two(seconds % 3600 / 60) + "m" }
        return "\(seconds / 86400)d" + two(seconds % 86400 / 3600) + "h"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
