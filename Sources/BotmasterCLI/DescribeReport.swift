import BotmasterConfig
import BotmasterControl
import BotmasterSupervisor

/// The human form of `botmaster describe`: a summary block, the settings with their sources,
/// the restart history and the log files.
enum DescribeReport {
    static func render(_ description: BotDescription) -> String {
        let worker = description.worker
        var summary: [(String, String)] = [("state", stateLine(worker))]
        if worker.pid != nil {
            summary.append(("cpu", cpuLine(worker)))
            summary.append(("memory", memoryLine(worker)))
        }
        if let heartbeat = worker.lastHeartbeatMsAgo {
            summary.append(
                ("heartbeat", StatusTable.duration(heartbeat) + " ago; \(worker.messages) messages, \(worker.errors) errors"))
        }
        if let bot = worker.bot {
            summary.append(("bot", "\(bot.source), store \(StatusTable.storeCell(bot)), breaker \(bot.breaker)"))
            summary.append(
                (
                    "counters",
                    "received \(bot.received), duplicates \(bot.duplicates), batches \(bot.batches), jobs ok \(bot.jobsOK), "
                        + "failed attempts \(bot.jobFailures), dead letters \(bot.deadLettered), 429s \(bot.rateLimited), "
                        + "poll conflicts \(bot.pollConflicts), in flight \(bot.inFlight), handoffs \(bot.handoffs)"
                ))
        }
        summary.append(("last exit", worker.lastExit ?? "-"))

        var output = "bot \(worker.id) (\(description.definedIn))\n"
        output += aligned(summary.map { [$0.0, $0.1] }, indent: "")
        output += "\nsettings:\n"
        output += aligned([["KEY", "VALUE", "SOURCE"]] + description.settings.map { [$0.key, $0.value, $0.source] }, indent: "  ")
        output += "\nrestarts (last \(description.restartHistory.count), oldest first):\n"
        if description.restartHistory.isEmpty {
            output += "  none\n"
        } else {
            output += aligned(
                description.restartHistory.map { [LogTimestamp.format(millisecondsSinceEpoch: $0.atMs), $0.kind, $0.reason] },
                indent: "  ")
        }
        output += "\nlogs (botmaster logs \(worker.id)):\n"
        output += description.logFiles.map { "  \($0)\n" }.joined()
        return output
    }

    static func stateLine(_ worker: WorkerStatus) -> String {
        var parts = [worker.state]
        if let pid = worker.pid { parts.append("pid \(pid)") }
        if let uptime = worker.uptimeMs { parts.append("up \(StatusTable.duration(uptime))") }
        parts.append("\(worker.restarts) restart\(worker.restarts == 1 ? "" : "s")")
        return parts.joined(separator: ", ")
    }

    static func cpuLine(_ worker: WorkerStatus) -> String {
        let share = worker.cpuPercent.map(StatusTable.percent) ?? "-"
        let total = worker.cpuSeconds.map { " (\($0)s since it started)" } ?? ""
        let processes = worker.processes.map { ", \($0) process\($0 == 1 ? "" : "es") in its group" } ?? ""
        return share + total + processes
    }

    static func memoryLine(_ worker: WorkerStatus) -> String {
        func size(_ bytes: UInt64?) -> String { bytes.map(ByteSizeText.format) ?? "-" }
        var line = "PSS \(size(worker.pssBytes)), USS \(size(worker.ussBytes)), RSS \(size(worker.rssBytes))"
        if let cap = worker.memoryLimitBytes, cap > 0 {
            line += ", cap \(size(cap))"
            if let pss = worker.pssBytes { line += " (\(pss * 100 / cap)% used)" }
        }
        return line
    }

    /// The rows as aligned columns, each line indented.
    private static func aligned(_ rows: [[String]], indent: String) -> String {
        TextColumns.lines(rows).map { indent + $0 + "\n" }.joined()
    }
}
