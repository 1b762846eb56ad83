import BotmasterSystem
import Glibc
import Logging

/// The master's swift-log backend: one line per event, `<UTC timestamp> <level> <message>
/// key=value…`, appended to `logs/master.log` (rotated by size) and, in the foreground, echoed
/// to stderr. Values that could carry secrets are never passed to the logger in the first
/// place; this handler writes what it is given.
public struct MasterLogHandler: LogHandler {
    private let file: RotatingLogFile?
    private let echoToStandardError: Bool
    private let label: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    public init(label: String, file: RotatingLogFile?, echoToStandardError: Bool, level: Logger.Level) {
        self.label = label
        self.file = file
        self.echoToStandardError = echoToStandardError
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = LogTimestamp.format(millisecondsSinceEpoch: WallClock.nowMilliseconds())
        line += " \(event.level) \(event.message)"
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        for key in merged.keys.sorted() {
            line += " \(key)=\(Self.quoted("\(merged[key]!)"))"
        }
        line += "\n"
        let bytes = Array(line.utf8)
        file?.append(bytes)
        if echoToStandardError {
            try? FileSystem.writeAll(STDERR_FILENO, bytes)
        }
    }

    /// Values with spaces or quotes are quoted, so lines stay machine-splittable.
    static func quoted(_ value: String) -> String {
        guard value.contains(where: { $0 == " " || $0 == "\"" || $0 == "=" }) || value.isEmpty else { return value }
        return "\"" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = self[...]
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound]
            result += replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}
