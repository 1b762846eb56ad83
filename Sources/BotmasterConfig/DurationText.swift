import BotmasterSystem

/// Durations as people write them in config files: `"200ms"`, `"45s"`, `"5m"`, `"1h"`, or
/// combinations such as `"1m30s"`. A bare number is not accepted: the unit is never guessed.
public enum DurationText {
    /// Parses the text, or returns `nil` when it is not a duration.
    public static func parse(_ text: String) -> Duration? {
        var total: Duration = .zero
        var rest = Substring(text.trimmingSpaces())
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
            guard !digits.isEmpty, let number = Double(digits), number.isFinite else { return nil }
            rest = rest.dropFirst(digits.count)
            let unit = rest.prefix(while: { $0.isLetter })
            guard !unit.isEmpty else { return nil }
            rest = rest.dropFirst(unit.count)
            let milliseconds: Double
            switch unit {
            case "ms": milliseconds = number
            case "s": milliseconds = number * 1000
            case "m": milliseconds = number * 60_000
            case "h": milliseconds = number * 3_600_000
            default: return nil
            }
            guard milliseconds < 1e15 else { return nil }
            total += .microseconds(Int64((milliseconds * 1000).rounded()))
        }
        return total
    }

    /// A compact form for messages and status: `"45s"`, `"5m"`, `"200ms"`, `"1m30s"`.
    public static func format(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds == 0 { return "0s" }
        if milliseconds % 1000 != 0 { return "\(milliseconds)ms" }
        var seconds = milliseconds / 1000
        var parts = ""
        if seconds >= 3600 {
            parts += "\(seconds / 3600)h"
            seconds %= 3600
        }
        if seconds >= 60 {
            parts += "\(seconds / 60)m"
            seconds %= 60
        }
        if seconds > 0 { parts += "\(seconds)s" }
        return parts
    }
}

/// Sizes as people write them: `"150MB"`, `"512KB"`, `"1GB"`, `"1048576"` (bytes). KB, MB and
/// GB are powers of 1024, as in PM2's `max_memory_restart` and systemd's `MemoryMax`; KiB, MiB
/// and GiB mean the same.
public enum ByteSizeText {
    /// Parses the text, or returns `nil` when it is not a size.
    public static func parse(_ text: String) -> UInt64? {
        let trimmed = text.trimmingSpaces()
        let digits = trimmed.prefix(while: { $0.isASCII && ($0.isNumber || $0 == ".") })
        guard !digits.isEmpty, let number = Double(digits), number.isFinite else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces().uppercased()
        let multiplier: Double
        switch unit {
        case "", "B": multiplier = 1
        case "K", "KB", "KIB": multiplier = 1024
        case "M", "MB", "MIB": multiplier = 1024 * 1024
        case "G", "GB", "GIB": multiplier = 1024 * 1024 * 1024
        default: return nil
        }
        let bytes = number * multiplier
        guard bytes < 1e18 else { return nil }
        return UInt64(bytes.rounded())
    }

    /// A compact form for messages: `"150.0MB"`, `"512.0KB"`, `"12B"`.
    public static func format(_ bytes: UInt64) -> String {
        let value = Double(bytes)
        if value >= 1024 * 1024 * 1024 { return oneDecimal(value / (1024 * 1024 * 1024)) + "GB" }
        if value >= 1024 * 1024 { return oneDecimal(value / (1024 * 1024)) + "MB" }
        if value >= 1024 { return oneDecimal(value / 1024) + "KB" }
        return "\(bytes)B"
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
