import BotmasterSystem
import Glibc
import Logging

/// The master's swift-log backend: one line per event, `<UTC timestamp> <level> <message>
/// key=value…`, appended to `logs/master.log` (rotated by size) and, in the foreground, echoed
/// to stderr. Values that could carry secrets are never passed to the logger in the first
/// place; what it is given is escaped and bounded by ``LogValue``, so no value can forge a line.
public struct MasterLogHandler: LogHandler {
    private let sink: MasterLogSink
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    /// - Parameter label: the logger's label; every logger writes to the same sink, so it is not
    ///   part of the line.
    public init(label: String, sink: MasterLogSink, level: Logger.Level) {
        self.sink = sink
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        let pairs = merged.keys.sorted().map { ($0, "\(merged[$0]!)") }
        var text = "\(event.level) \(LogValue.message("\(event.message)"))"
        for (key, value) in pairs { text += " \(LogValue.render(key))=\(LogValue.render(value))" }
        if event.level >= .warning, let throttle = sink.throttle {
            let key = LogThrottle.key(level: "\(event.level)", message: "\(event.message)", metadata: pairs)
            guard throttle.admit(key: key, summary: text) else { return }
        }
        sink.write(text)
    }
}

/// Where the master's log lines go: `logs/master.log` (rotated by size), and stderr too when
/// the master runs in the foreground. Shared by every logger and by the throttle's summaries.
public final class MasterLogSink: Sendable {
    private let file: RotatingLogFile?
    private let echoToStandardError: Bool
    /// Repeats of warnings and errors are suppressed through this, when set.
    public let throttle: LogThrottle?

    public init(file: RotatingLogFile?, echoToStandardError: Bool, throttle: LogThrottle?) {
        self.file = file
        self.echoToStandardError = echoToStandardError
        self.throttle = throttle
    }

    /// Writes one line with a UTC timestamp in front.
    public func write(_ text: String) {
        let bytes = Array((LogTimestamp.format(millisecondsSinceEpoch: WallClock.nowMilliseconds()) + " " + text + "\n").utf8)
        file?.append(bytes)
        if echoToStandardError { try? FileSystem.writeAll(STDERR_FILENO, bytes) }
    }

    /// Writes the throttle's summary lines (call it once a minute).
    public func writeThrottleSummaries() {
        for line in throttle?.drainSummaries() ?? [] { write("notice " + line) }
    }
}
