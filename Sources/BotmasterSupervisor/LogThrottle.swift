import BotmasterSystem
import Synchronization

/// Suppresses repeats of the same warning or error for 30 s, and accounts for them in a
/// summary line once a minute: a bot that fails the same way 1000 times an hour writes a few
/// lines, not 1000. "The same" means the same level, message and metadata, apart from values
/// that change on every repeat (pids, delays, sizes).
public final class LogThrottle: Sendable {
    /// How long after a line its repeats are suppressed.
    public let window: Duration
    /// Metadata keys left out when deciding whether two events are the same.
    static let volatileKeys: Set<String> = ["pid", "restart_in_ms", "memory", "processes", "restarts_in_window"]

    private struct Entry {
        var lastEmitted: MonotonicTime
        var suppressed: Int
        var summary: String
    }

    private let entries = Mutex<[String: Entry]>([:])

    public init(window: Duration = .seconds(30)) {
        self.window = window
    }

    /// Whether to write this event now; `false` counts it as suppressed.
    /// - Parameters:
    ///   - key: the event's identity (level, message, stable metadata).
    ///   - summary: how to name it in the summary line.
    public func admit(key: String, summary: String, now: MonotonicTime = .now()) -> Bool {
        entries.withLock { entries in
            if var entry = entries[key], now - entry.lastEmitted < window {
                entry.suppressed += 1
                entries[key] = entry
                return false
            }
            let suppressedBefore = entries[key]?.suppressed ?? 0
            entries[key] = Entry(lastEmitted: now, suppressed: suppressedBefore, summary: summary)
            return true
        }
    }

    /// The summary lines for everything suppressed since the last call, and forgets events
    /// that have been quiet for a whole window.
    public func drainSummaries(now: MonotonicTime = .now()) -> [String] {
        entries.withLock { entries in
            var lines: [String] = []
            for (key, entry) in entries.sorted(by: { $0.key < $1.key }) {
                if entry.suppressed > 0 {
                    lines.append("suppressed \(entry.suppressed) repeat\(entry.suppressed == 1 ? "" : "s") of: \(entry.summary)")
                    entries[key]?.suppressed = 0
                } else if now - entry.lastEmitted >= window {
                    entries[key] = nil
                }
            }
            return lines
        }
    }

    /// The identity of an event: level, message and the metadata that does not vary per repeat.
    static func key(level: String, message: String, metadata: [(String, String)]) -> String {
        ([level, message] + metadata.filter { !volatileKeys.contains($0.0) }.map { "\($0.0)=\($0.1)" }).joined(separator: "\u{1F}")
    }
}
