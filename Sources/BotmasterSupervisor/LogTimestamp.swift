import Glibc

/// Timestamps for log lines: UTC, ISO 8601, milliseconds (`2026-11-22T20:15:03.123Z`), so lines
/// from the master and from every worker sort together.
public enum LogTimestamp {
    /// The timestamp for a wall-clock time in milliseconds since the epoch.
    public static func format(millisecondsSinceEpoch milliseconds: Int64) -> String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return "\(parts.tm_year + 1900)-\(pad(parts.tm_mon + 1))-\(pad(parts.tm_mday))T"
            + "\(pad(parts.tm_hour)):\(pad(parts.tm_min)):\(pad(parts.tm_sec)).\(pad3(Int32(milliseconds % 1000)))Z"
    }

    private static func pad(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    private static func pad3(_ value: Int32) -> String {
        value < 10 ? "00\(value)" : value < 100 ? "0\(value)" : "\(value)"
    }
}
