import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// How `botmaster broadcast` prints broadcasts: the list as a table, one broadcast as a report.
enum BroadcastReport {
    static func table(_ broadcasts: [BroadcastInfo], bot: String) -> String {
        guard !broadcasts.isEmpty else { return "\(bot) has no broadcasts\n" }
        var lines = ["ID\tSTATE\tAUDIENCE\tDONE\tSENT\tBLOCKED\tINVALID\tFAILED\tRATE\tCREATED"]
        for broadcast in broadcasts {
            let counts = broadcast.counts
            lines.append(
                [
                    broadcast.id, broadcast.state.rawValue, broadcast.audience, "\(counts.done)/\(broadcast.total)", "\(counts.sent)",
                    "\(counts.blocked)", "\(counts.invalid)", "\(counts.failed)", number(broadcast.ratePerSecond) + "/s",
                    DeadLetterCommand.timestamp(broadcast.createdMs),
                ].joined(separator: "\t"))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func details(_ broadcast: BroadcastInfo) -> String {
        let counts = broadcast.counts
        var lines = [
            "broadcast: \(broadcast.id)", "state:     \(broadcast.state.rawValue)",
            "audience:  \(broadcast.audience), \(broadcast.total) chats", "rate:      \(number(broadcast.ratePerSecond))/s",
            "done:      \(counts.done)/\(broadcast.total): \(counts.sent) sent, \(counts.blocked) blocked, \(counts.invalid) invalid, \(counts.failed) failed",
            "created:   \(DeadLetterCommand.timestamp(broadcast.createdMs))",
        ]
        if let started = broadcast.startedMs { lines.append("started:   \(DeadLetterCommand.timestamp(started))") }
        if let finished = broadcast.finishedMs {
            lines.append("ended:     \(DeadLetterCommand.timestamp(finished))")
            if let started = broadcast.startedMs, finished > started {
                lines.append("took:      \(number(Double(finished - started) / 1000)) s")
            }
        }
        if let failures = broadcast.failures, !failures.isEmpty {
            lines.append("not reached:")
            lines += failures.map { "  \($0.chat)\t\($0.outcome.rawValue)\t\($0.reason)" }
            let unreached = counts.blocked + counts.invalid + counts.failed
            if unreached > failures.count { lines.append("  … and \(unreached - failures.count) more") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `25`, `2.5`: no trailing zeros.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.1f", value)
    }
}

/// The progress line of a broadcast being watched: a bar, the count, the rate over the last
/// seconds and the time left at that rate.
struct BroadcastProgress {
    let total: Int
    private var samples: [(done: Int, at: MonotonicTime)] = []
    private var lastMilestone = -1

    init(total: Int) { self.total = total }

    mutating func observe(done: Int, at time: MonotonicTime) {
        samples.append((done, time))
        // The rate over about the last five seconds.
        while samples.count > 2, time - samples[0].at > .seconds(5) { samples.removeFirst() }
    }

    var done: Int { samples.last?.done ?? 0 }

    /// Messages per second lately; `nil` before two samples.
    var rate: Double? {
        guard let first = samples.first, let last = samples.last, last.at > first.at else { return nil }
        return Double(last.done - first.done) / (Double((last.at - first.at).nanosecondsClamped) / 1e9)
    }

    func line(state: String) -> String {
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 30
        let filled = min(Int(fraction * Double(width)), width)
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var text = "[\(bar)] \(done)/\(total) \(Int(fraction * 100))%"
        if let rate {
            text += "  \(BroadcastReport.number(rate.rounded()))/s"
            if rate > 0, done < total { text += "  ETA \(StatusTable.duration(Int64((Double(total - done) / rate * 1000).rounded(.up))))" }
        }
        return text + "  \(state)   "
    }

    /// A line at each tenth of the way (for output that is not a terminal).
    mutating func milestone(state: String) -> String? {
        let tenth = total > 0 ? done * 10 / total : 10
        guard tenth != lastMilestone else { return nil }
        lastMilestone = tenth
        return line(state: state).trimmingCharacters(in: .whitespaces)
    }
}
