import Glibc

/// What a process group uses, summed over the processes in it.
public struct GroupUsage: Sendable, Equatable {
    /// How many processes the group had when it was read.
    public var processes: Int
    /// RSS, PSS and USS summed over the members. The PSS sum counts a page the members share
    /// once in all, which is why it, not the RSS sum, says what the group holds.
    public var memory: ProcessMemory
    /// User plus system CPU time of the members, with the time of children they have waited
    /// for, in clock ticks (``ProcFS/ticksPerSecond``).
    public var cpuTicks: UInt64

    public init(processes: Int, memory: ProcessMemory, cpuTicks: UInt64) {
        self.processes = processes
        self.memory = memory
        self.cpuTicks = cpuTicks
    }
}

/// Finds the processes of process groups and adds up what they use. A worker is the leader of
/// its own group, so a bot behind `sh -c`, a wrapper script or a runtime that forks helpers is
/// measured whole, not only the process the master spawned.
public enum ProcessGroups {
    /// The members of the groups led by `leaders`, from one pass over `/proc` (one small read
    /// per process on the host). A leader whose group has no other member maps to itself
    /// alone; a leader that is gone is left out.
    public static func members(of leaders: Set<pid_t>) -> [pid_t: [pid_t]] {
        var groups: [pid_t: [pid_t]] = [:]
        guard !leaders.isEmpty, let entries = FileSystem.directoryEntries("/proc") else { return groups }
        for entry in entries {
            guard let pid = pid_t(entry), let group = processGroup(of: pid), leaders.contains(group) else { continue }
            groups[group, default: []].append(pid)
        }
        return groups
    }

    /// What the processes of `leader`'s group among `members` use together, or `nil` when none
    /// of them is left. Each one's group is read again: a member of an older listing may have
    /// ended and its pid gone to an unrelated process.
    public static func usage(of members: [pid_t], inGroupOf leader: pid_t) -> GroupUsage? {
        var usage = GroupUsage(processes: 0, memory: ProcessMemory(rss: 0, pss: 0, uss: 0), cpuTicks: 0)
        for pid in members {
            // A member that ended between the listing and now simply adds nothing.
            guard let fields = ProcFS.statFields(of: pid), fields.count > 2, pid_t(fields[2]) == leader,
                let ticks = ProcFS.cpuTicks(fields: fields, includingWaitedChildren: true),
                let memory = ProcFS.memory(of: pid)
            else { continue }
            usage.processes += 1
            usage.memory.rss += memory.rss
            usage.memory.pss += memory.pss
            usage.memory.uss += memory.uss
            usage.cpuTicks += ticks
        }
        return usage.processes == 0 ? nil : usage
    }

    /// The process group of `pid` (field 5 of `/proc/<pid>/stat`).
    static func processGroup(of pid: pid_t) -> pid_t? {
        guard let fields = ProcFS.statFields(of: pid), fields.count > 2 else { return nil }
        return pid_t(fields[2])
    }
}
