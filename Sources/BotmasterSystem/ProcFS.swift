import Glibc

/// Memory figures of one process, in bytes.
public struct ProcessMemory: Sendable, Equatable {
    /// Resident set size: every page in RAM, shared or not.
    public var rss: UInt64
    /// Proportional set size: shared pages divided among their sharers.
    public var pss: UInt64
    /// Unique set size: pages only this process has (private clean + private dirty), what
    /// killing it would give back.
    public var uss: UInt64

    public init(rss: UInt64, pss: UInt64, uss: UInt64) {
        self.rss = rss
        self.pss = pss
        self.uss = uss
    }
}

/// Reads `/proc`. Every call opens, reads and closes one small file; no descriptor is kept
/// (``ProcessCounterFiles`` keeps two, for the samples repeated all the time).
public enum ProcFS {
    static let pageSize = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    /// Resident set size in bytes, from `/proc/<pid>/statm` (the cheapest source: one line of
    /// numbers), or `nil` when the process is gone.
    public static func residentBytes(of pid: pid_t) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/statm") else { return nil }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = UInt64(fields[1]) else { return nil }
        return pages * pageSize
    }

    /// Virtual memory size in bytes (the first field of `/proc/<pid>/statm`), or `nil` when the
    /// process is gone.
    public static func virtualBytes(of pid: pid_t) -> UInt64? {
        guard let text = readSmallFile("/proc/\(pid)/statm"), let first = text.split(separator: " ").first, let pages = UInt64(first)
        else { return nil }
        return pages * pageSize
    }

    /// When the machine booted (Unix time in seconds, `btime` of `/proc/stat`): ``startTime(of:)``
    /// counts from there.
    public static func bootTime() -> UInt64? {
        guard let text = readSmallFile("/proc/stat") else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("btime ") {
            return UInt64(line.dropFirst("btime ".count))
        }
        return nil
    }

    /// RSS, PSS and USS from `/proc/<pid>/smaps_rollup`, or `nil` when the process is gone.
    public static func memory(of pid: pid_t) -> ProcessMemory? {
        guard let text = readSmallFile("/proc/\(pid)/smaps_rollup") else { return nil }
        var values: [Substring: UInt64] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            guard parts.count >= 2, parts[0].hasSuffix(":"), let kilobytes = UInt64(parts[1]) else { continue }
            values[parts[0].dropLast()] = kilobytes * 1024
        }
        guard let rss = values["Rss"] else { return nil }
        return ProcessMemory(
            rss: rss,
            pss: values["Pss"] ?? 0,
            uss: (values["Private_Clean"] ?? 0) + (values["Private_Dirty"] ?? 0)
        )
    }

    /// The process's start time in clock ticks since boot (field 22 of `/proc/<pid>/stat`).
    /// Together with the pid it names one process for the life of the machine: a pid reused by
    /// an unrelated process has a different start time.
    public static func startTime(of pid: pid_t) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 19 else { return nil }
        return UInt64(fields[19])
    }

    /// User plus system CPU time of a process in clock ticks (fields 14 and 15 of `stat`). A
    /// process group's total, with the time of the children its members waited for, is
    /// ``ProcessCounters/cpuTicks``.
    public static func cpuTicks(of pid: pid_t) -> UInt64? {
        guard let fields = statFields(of: pid), fields.count > 12, let user = UInt64(fields[11]), let system = UInt64(fields[12])
        else { return nil }
        return user + system
    }

    /// The fields of `/proc/<pid>/stat` after the command name, starting with field 3 (the
    /// state): the name is skipped whole because it may hold spaces and parentheses.
    static func statFields(of pid: pid_t) -> [Substring]? {
        guard let text = readSmallFile("/proc/\(pid)/stat"), let commandEnd = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: commandEnd)...].split(separator: " ")
    }

    /// The environment a process started with (`/proc/<pid>/environ`), or `nil` when it is gone
    /// or not ours to read.
    public static func environment(of pid: pid_t) -> [String: String]? {
        guard let bytes = FileSystem.readFile("/proc/\(pid)/environ") else { return nil }
        var environment: [String: String] = [:]
        for entry in bytes.split(separator: 0) {
            guard let equals = entry.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = String(decoding: entry[..<equals], as: UTF8.self)
            if environment[name] == nil { environment[name] = String(decoding: entry[(equals + 1)...], as: UTF8.self) }
        }
        return environment
    }

    /// Clock ticks per second, the unit of ``startTime(of:)`` and ``cpuTicks(of:)``.
    public static let ticksPerSecond = UInt64(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads a whole small file as text, or `nil` when it cannot be opened.
    static func readSmallFile(_ path: String) -> String? {
        guard let bytes = FileSystem.readFile(path) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }
}
