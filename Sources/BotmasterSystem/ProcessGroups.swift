import Glibc

/// What a process group uses, summed over the processes in it.
public struct GroupUsage: Sendable, Equatable {
    /// The members counted when the group was read, for ``ProcessGroups/exactMemory(of:)``.
    public var pids: [pid_t]
    /// How many processes the group had when it was read.
    public var processes: Int { pids.count }
    /// RSS, PSS and USS summed over the members. The PSS sum counts a page the members share
    /// once in all, which is why it, not the RSS sum, says what the group holds. Only the RSS
    /// is read on every sample; PSS and USS come from ``ProcessGroups/exactMemory(of:)`` (see there).
    public var memory: ProcessMemory
    /// Resident anonymous memory of the members (``ProcessCounters/anonymous``): the part of
    /// the memory that grows with a leak, read cheaply on every sample.
    public var anonymous: UInt64
    /// User plus system CPU time of the members, with the time of children they have waited
    /// for, in clock ticks (``ProcFS/ticksPerSecond``).
    public var cpuTicks: UInt64

    public init(pids: [pid_t], memory: ProcessMemory, anonymous: UInt64, cpuTicks: UInt64) {
        self.pids = pids
        self.memory = memory
        self.anonymous = anonymous
        self.cpuTicks = cpuTicks
    }
}

/// Finds the processes of process groups and adds up what they use. A worker is the leader of
/// its own group, so a bot behind `sh -c`, a wrapper script or a runtime that forks helpers is
/// measured whole, not only the process the master spawned.
public enum ProcessGroups {
    /// The members of the groups led by `leaders`, from one pass over `/proc` (one small read
    /// per process on the host that is not a leader: a leader is taken to lead its own group,
    /// which ``usage(of:inGroupOf:)`` checks again anyway). A leader whose group has no other
    /// member maps to itself alone; a leader that is gone is left out.
    public static func members(of leaders: Set<pid_t>) -> [pid_t: [pid_t]] {
        var groups: [pid_t: [pid_t]] = [:]
        guard !leaders.isEmpty, let entries = FileSystem.directoryEntries("/proc") else { return groups }
        for entry in entries {
            guard let pid = pid_t(entry) else { continue }
            if leaders.contains(pid) {
                groups[pid, default: []].append(pid)
                continue
            }
            guard let group = processGroup(of: pid), leaders.contains(group) else { continue }
            groups[group, default: []].append(pid)
        }
        return groups
    }

    /// What the processes of `leader`'s group among `members` use together, or `nil` when none
    /// of them is left: CPU time, RSS and anonymous memory, from counters the kernel keeps
    /// (``ProcessCounters``). PSS and USS are left at zero for ``exactMemory(of:)``. Each one's
    /// group is read again: a member of an older listing may have ended and its pid gone to an
    /// unrelated process.
    /// - Parameter leaderFiles: the leader's files, kept open by the caller between samples
    ///   (read instead of opening the leader's by path).
    public static func usage(of members: [pid_t], inGroupOf leader: pid_t, leaderFiles: ProcessCounterFiles? = nil) -> GroupUsage? {
        var usage = GroupUsage(pids: [], memory: ProcessMemory(rss: 0, pss: 0, uss: 0), anonymous: 0, cpuTicks: 0)
        for pid in members {
            let counters =
                if let leaderFiles, leaderFiles.pid == pid { leaderFiles.read() } else { ProcessCounters.read(of: pid) }
            // A member that ended between the listing and now simply adds nothing.
            guard let counters, counters.processGroup == leader else { continue }
            usage.memory.rss += counters.resident
            usage.anonymous += counters.anonymous
            usage.cpuTicks += counters.cpuTicks
            usage.pids.append(pid)
        }
        return usage.processes == 0 ? nil : usage
    }

    /// PSS and USS summed over `pids` (from ``usage(of:inGroupOf:)``), from `smaps_rollup`:
    /// exact, but the kernel walks every page of each process for it — with 1000 workers read
    /// every 3 s that walk alone was a tenth of a core — so callers read it only when it can
    /// change a decision or has grown old. `nil` when every process is gone.
    public static func exactMemory(of pids: [pid_t]) -> ProcessMemory? {
        var total = ProcessMemory(rss: 0, pss: 0, uss: 0)
        var read = false
        for pid in pids {
            guard let memory = ProcFS.memory(of: pid) else { continue }
            read = true
            total.rss += memory.rss
            total.pss += memory.pss
            total.uss += memory.uss
        }
        return read ? total : nil
    }

    /// The process group of `pid` (field 5 of `/proc/<pid>/stat`), read as bytes: the group
    /// listing reads it for every process on the host.
    static func processGroup(of pid: pid_t) -> pid_t? {
        guard let stat = FileSystem.readFile("/proc/\(pid)/stat") else { return nil }
        return stat.withUnsafeBytes { bytes -> pid_t? in
            guard let close = bytes.lastIndex(of: UInt8(ascii: ")")) else { return nil }
            var fields = NumberFields(bytes, from: close + 1)
            guard fields.skip(2), let group = fields.next() else { return nil }
            return pid_t(truncatingIfNeeded: group)
        }
    }
}
