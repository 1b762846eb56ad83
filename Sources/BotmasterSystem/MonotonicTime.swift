import Glibc

/// A point on the monotonic clock, in nanoseconds since an arbitrary start (boot on Linux).
/// Plain value so that the restart policy and the lifecycle can be tested with made-up times.
public struct MonotonicTime: Sendable, Hashable, Comparable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// Now, from `CLOCK_MONOTONIC`.
    public static func now() -> MonotonicTime {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicTime(nanoseconds: UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec))
    }

    public static func < (lhs: MonotonicTime, rhs: MonotonicTime) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// This time moved later by `duration` (negative durations move it earlier, not below zero).
    public static func + (lhs: MonotonicTime, rhs: Duration) -> MonotonicTime {
        let delta = rhs.nanosecondsClamped
        if delta >= 0 { return MonotonicTime(nanoseconds: lhs.nanoseconds &+ UInt64(delta)) }
        let back = UInt64(-delta)
        return MonotonicTime(nanoseconds: lhs.nanoseconds > back ? lhs.nanoseconds - back : 0)
    }

    /// The time from `rhs` to `lhs`; negative when `lhs` is earlier.
    public static func - (lhs: MonotonicTime, rhs: MonotonicTime) -> Duration {
        if lhs >= rhs { return .nanoseconds(Int64(clamping: lhs.nanoseconds - rhs.nanoseconds)) }
        return .nanoseconds(-Int64(clamping: rhs.nanoseconds - lhs.nanoseconds))
    }
}

/// Wall-clock time in milliseconds since the Unix epoch, for timestamps people read.
public enum WallClock {
    public static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to `Int64`.
    public var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled.addingReportingOverflow(attoseconds / 1_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : scaled + attoseconds / 1_000_000_000
    }

    /// The duration in whole milliseconds, clamped to `Int64`.
    public var millisecondsClamped: Int64 { nanosecondsClamped / 1_000_000 }
}
