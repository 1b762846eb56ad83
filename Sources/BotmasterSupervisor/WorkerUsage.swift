import BotmasterSystem
import Glibc

/// The last measurement of a worker's process group: memory, CPU and how many processes.
struct WorkerUsage {
    /// The group's leader when it was measured: a new process starts a new CPU series.
    var pid: pid_t
    var group: GroupUsage
    var sampledAt: MonotonicTime
    /// Share of one core (100 = one core busy) since the previous sample of the same process,
    /// or `nil` at the first sample.
    var cpuPercent: Double?

    /// A new sample, with the CPU share since `previous` when that measured the same process.
    init(pid: pid_t, group: GroupUsage, at now: MonotonicTime, previous: WorkerUsage?) {
        self.pid = pid
        self.group = group
        self.sampledAt = now
        if let previous, previous.pid == pid, now > previous.sampledAt {
            // A member that ended without being waited for by another member takes its time
            // with it, so the sum can drop: that interval counts as idle, not negative.
            let ticks = group.cpuTicks > previous.group.cpuTicks ? group.cpuTicks - previous.group.cpuTicks : 0
            let seconds = Double(ticks) / Double(ProcFS.ticksPerSecond)
            let elapsed = Double((now - previous.sampledAt).nanosecondsClamped) / 1e9
            cpuPercent = seconds / elapsed * 100
        }
    }
}

/// Which processes belong to which worker's group, listed from `/proc` at most once per memory
/// check interval: a pass reads one file per process on the host, far too much to repeat for
/// every worker, while the leader itself is always measured at once.
struct ProcessGroupListing {
    private var members: [pid_t: [pid_t]] = [:]
    private var listedAt: MonotonicTime?

    /// The processes of the group `leader` leads, the leader first.
    mutating func members(
        of leader: pid_t, now: MonotonicTime, maximumAge: Duration, leaders: () -> Set<pid_t>
    ) -> [pid_t] {
        if listedAt.map({ now - $0 >= maximumAge }) ?? true {
            members = ProcessGroups.members(of: leaders())
            listedAt = now
        }
        return [leader] + (members[leader] ?? []).filter { $0 != leader }
    }
}
