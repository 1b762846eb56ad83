import Logging
import Synchronization

/// The worker's log: swift-log lines written to stdout (which the master appends to the
/// worker's log file) as `botworker <bot>: <level> <message> key=value …`, filtered by a level
/// the master sets in the welcome and changes live with `log_level` frames.
public enum WorkerLog {
    private static let current = Atomic<UInt8>(levelCode(.info))

    /// The level in force for every logger of the process.
    public static var level: Logger.Level {
        get { Logger.Level.allCases[Int(current.load(ordering: .relaxed))] }
        set { current.store(levelCode(newValue), ordering: .relaxed) }
    }

    /// Sets the level from its name (`trace` … `critical`); an unknown name is ignored.
    public static func setLevel(named name: String) {
        if let level = Logger.Level(rawValue: name) { self.level = level }
    }

    /// Makes every `Logger` of the process write through ``Handler``; call once at start.
    public static func bootstrap(botID: String) {
        LoggingSystem.bootstrap { _ in Handler(prefix: "botworker \(botID): ") }
    }

    private static func levelCode(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }

    /// Writes one line per message at or above ``WorkerLog/level``.
    public struct Handler: LogHandler {
        let prefix: String
        public var metadata: Logger.Metadata = [:]

        /// Reads and sets the process-wide level: a `log_level` frame changes every logger at once.
        public var logLevel: Logger.Level {
            get { WorkerLog.level }
            set { WorkerLog.level = newValue }
        }

        public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        public func log(event: LogEvent) {
            var line = prefix + event.level.rawValue + " " + Self.oneLine("\(event.message)")
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            // The bot id is in every line's prefix already.
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) where key != "bot" {
                line += " \(key)=\(Self.oneLine("\(value)"))"
            }
            WorkerRuntime.say(line)
        }

        /// A value that cannot forge a log line: newlines and other controls escaped.
        static func oneLine(_ text: String) -> String {
            guard text.utf8.contains(where: { $0 < 0x20 || $0 == 0x7f }) else { return text }
            var escaped = ""
            for scalar in text.unicodeScalars {
                if scalar.value < 0x20 || scalar.value == 0x7f {
                    escaped += scalar == "\n" ? "\\n" : "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped
        }
    }
}
