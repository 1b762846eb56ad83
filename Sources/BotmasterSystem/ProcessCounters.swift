import Glibc

/// What a memory sample reads of one process: counters the kernel keeps in
/// `/proc/<pid>/stat` and `/proc/<pid>/statm`, no page walk.
public struct ProcessCounters: Sendable, Equatable {
    /// The process group (field 5 of `stat`).
    public var processGroup: pid_t
    /// User plus system CPU time with the time of the children it has waited for, in clock
    /// ticks (fields 14 to 17 of `stat`): a group's total must not drop when one of its
    /// processes reaps a member.
    public var cpuTicks: UInt64
    /// Resident bytes (the second field of `statm`).
    public var resident: UInt64
    /// Resident bytes that are neither file-backed nor shared memory (resident minus the third
    /// field of `statm`): the part that grows with a leak.
    public var anonymous: UInt64

    public init(processGroup: pid_t, cpuTicks: UInt64, resident: UInt64, anonymous: UInt64) {
        self.processGroup = processGroup
        self.cpuTicks = cpuTicks
        self.resident = resident
        self.anonymous = anonymous
    }

    /// Reads both files by path (opened and closed here), or `nil` when the process is gone.
    public static func read(of pid: pid_t) -> ProcessCounters? {
        guard let stat = FileSystem.readFile("/proc/\(pid)/stat"), let statm = FileSystem.readFile("/proc/\(pid)/statm") else {
            return nil
        }
        return stat.withUnsafeBytes { stat in statm.withUnsafeBytes { statm in parse(stat: stat, statm: statm) } }
    }

    /// The counters from the two files' text, read as bytes: a sample of 1,000 workers every
    /// 3 s spent a third of the idle master's time in `String` indexing when this went
    /// through `split`.
    static func parse(stat: UnsafeRawBufferPointer, statm: UnsafeRawBufferPointer) -> ProcessCounters? {
        // The command name (field 2) may hold spaces and parentheses: fields start after the
        // last ")".
        guard let close = stat.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        var statFields = NumberFields(stat, from: close + 1)
        // Field 3 is the state letter; 4 the parent; 5 the group; 14–17 the CPU times.
        guard statFields.skip(2), let group = statFields.next(), statFields.skip(8), let user = statFields.next(),
            let system = statFields.next(), let waitedUser = statFields.next(), let waitedSystem = statFields.next()
        else { return nil }
        var statmFields = NumberFields(statm, from: 0)
        guard statmFields.skip(1), let resident = statmFields.next(), let shared = statmFields.next() else { return nil }
        return ProcessCounters(
            processGroup: pid_t(truncatingIfNeeded: group), cpuTicks: user + system + waitedUser + waitedSystem,
            resident: resident * ProcFS.pageSize, anonymous: (resident > shared ? resident - shared : 0) * ProcFS.pageSize)
    }
}

/// Space-separated fields of a `/proc` file, read in order as unsigned numbers.
struct NumberFields {
    private let bytes: UnsafeRawBufferPointer
    private var position: Int

    init(_ bytes: UnsafeRawBufferPointer, from position: Int) {
        self.bytes = bytes
        self.position = position
    }

    /// The next field as a number, or `nil` when there is none or it is not one.
    mutating func next() -> UInt64? {
        while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
        var value: UInt64 = 0
        var digits = 0
        while position < bytes.count, case let byte = bytes[position], byte != UInt8(ascii: " "), byte != UInt8(ascii: "\n") {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let (times, overflowTimes) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflowSum) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflowTimes, !overflowSum else { return nil }
            value = sum
            digits += 1
            position += 1
        }
        return digits > 0 ? value : nil
    }

    /// Passes over `count` fields, whatever they hold; `false` when the text ends first.
    mutating func skip(_ count: Int) -> Bool {
        for _ in 0..<count {
            while position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
            guard position < bytes.count, bytes[position] != UInt8(ascii: "\n") else { return false }
            while position < bytes.count, bytes[position] != UInt8(ascii: " "), bytes[position] != UInt8(ascii: "\n") { position += 1 }
        }
        return true
    }
}

/// `/proc/<pid>/stat` and `/proc/<pid>/statm` of one process, opened once and read again with
/// `pread` from the start on every sample (the kernel writes the text anew for each read from
/// offset 0): one system call per file instead of an open, reads and a close, for the master's
/// samples of every worker. The descriptors stay bound to the process they were opened for:
/// once it has been reaped they read nothing, even if its pid goes to another process.
public final class ProcessCounterFiles {
    /// The process the files belong to.
    public let pid: pid_t
    private let stat: Int32
    private let statm: Int32

    /// Opens both files, or `nil` when the process is gone.
    public init?(pid: pid_t) {
        let stat = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard stat >= 0 else { return nil }
        let statm = open("/proc/\(pid)/statm", O_RDONLY | O_CLOEXEC)
        guard statm >= 0 else {
            Glibc.close(stat)
            return nil
        }
        self.pid = pid
        self.stat = stat
        self.statm = statm
    }

    deinit {
        Glibc.close(stat)
        Glibc.close(statm)
    }

    /// The counters now, or `nil` once the process is gone.
    public func read() -> ProcessCounters? {
        // `stat` is under 400 bytes even with 64-bit values in every field; `statm` under 100.
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 1) { buffer in
            let statCount = Self.readFromStart(stat, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<768]))
            let statmCount = Self.readFromStart(statm, into: UnsafeMutableRawBufferPointer(rebasing: buffer[768...]))
            guard statCount > 0, statmCount > 0 else { return nil }
            return ProcessCounters.parse(
                stat: UnsafeRawBufferPointer(rebasing: buffer[0..<statCount]),
                statm: UnsafeRawBufferPointer(rebasing: buffer[768..<(768 + statmCount)]))
        }
    }

    private static func readFromStart(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let count = pread(fd, buffer.baseAddress, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            return max(count, 0)
        }
    }
}
