import BotmasterConfig
import BotmasterControl

/// One frame of `botmaster top`: a summary of the fleet and the busiest bots first, with the
/// message rate since the frame before. Pure, so the layout is tested without a terminal.
struct TopScreen {
    /// Messages per bot in the previous frame, and when it was taken.
    private var previousMessages: [String: UInt64] = [:]
    private var previousAt: Double?

    /// Renders `status` taken at `now` (seconds, any monotonic origin) into at most `height`
    /// lines of at most `width` characters.
    mutating func render(_ status: FleetStatus, now: Double, width: Int, height: Int, interval: Double) -> [String] {
        let elapsed = previousAt.map { now - $0 }.flatMap { $0 > 0 ? $0 : nil }
        var rates: [String: Double] = [:]
        for worker in status.workers {
            if let elapsed, let before = previousMessages[worker.id], worker.messages >= before {
                rates[worker.id] = Double(worker.messages - before) / elapsed
            }
        }
        previousMessages = Dictionary(uniqueKeysWithValues: status.workers.map { ($0.id, $0.messages) })
        previousAt = now

        let master = status.master
        let cpu = status.workers.compactMap(\.cpuPercent).reduce(0, +)
        let pss = status.workers.compactMap(\.pssBytes).reduce(0, +)
        let errored = status.workers.filter { $0.state == "errored" }.count
        var lines = [
            "botmaster top: master pid \(master.pid), up \(StatusTable.duration(master.uptimeMs)), "
                + "\(master.workersRunning)/\(master.workersTotal) running" + (errored > 0 ? ", \(errored) ERRORED" : ""),
            "workers: CPU \(StatusTable.percent((cpu * 10).rounded() / 10)) of one core, PSS \(ByteSizeText.format(pss)); "
                + "every \(Self.seconds(interval)), q to quit",
            "",
        ]
        let header = ["ID", "STATE", "PID", "CPU", "PSS", "RSS", "MSG/S", "ERRORS", "RESTARTS", "UPTIME"]
        // Busiest first: CPU, then the message rate; the rest by id so rows do not jump about.
        let workers = status.workers.sorted { left, right in
            let (a, b) = (left.cpuPercent ?? -1, right.cpuPercent ?? -1)
            if a != b { return a > b }
            let (x, y) = (rates[left.id] ?? -1, rates[right.id] ?? -1)
            if x != y { return x > y }
            return left.id < right.id
        }
        let room = max(height - lines.count - 2, 1)
        let shown = workers.count > room ? Array(workers.prefix(room - 1)) : workers
        var rows = [header]
        for worker in shown {
            rows.append([
                worker.id, worker.state, worker.pid.map { "\($0)" } ?? "-",
                worker.cpuPercent.map(StatusTable.percent) ?? "-",
                worker.pssBytes.map(ByteSizeText.format) ?? "-",
                worker.rssBytes.map(ByteSizeText.format) ?? "-",
                rates[worker.id].map(Self.rate) ?? "-",
                "\(worker.errors)", "\(worker.restarts)",
                worker.uptimeMs.map(StatusTable.duration) ?? "-",
            ])
        }
        // Figures read best right-aligned; the id and the state left.
        lines += TextColumns.lines(rows, rightAligned: Set(2..<header.count))
        if shown.count < workers.count { lines.append("… \(workers.count - shown.count) more") }
        return lines.map { String($0.prefix(width)) }
    }

    static func rate(_ value: Double) -> String {
        value >= 100 ? "\(Int(value.rounded()))" : "\((value * 10).rounded() / 10)"
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value))s" : "\(value)s"
    }
}
