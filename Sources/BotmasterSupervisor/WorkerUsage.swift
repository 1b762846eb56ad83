import BotmasterSystem
import Glibc

/// The last measurement of a worker's process group: memory, CPU and how many processes.
///
/// RSS, anonymous memory and CPU are read on every sample; PSS and USS exactly (a walk of every
/// page in the kernel) only at the first sample, when the group changed, when the RSS reaches
/// the memory cap (PSS never exceeds RSS, so below it the cap cannot be over), and after
/// ``exactInterval``. In between they follow the anonymous memory, which is where a worker's
/// growth shows: a page of the heap is private to the process.
struct WorkerUsage {
    /// The group's leader when it was measured: a new process starts a new CPU series.
    var pid: pid_t
    /// The group as measured, its PSS and USS exact or followed from the last exact read.
    var group: GroupUsage
    var sampledAt: MonotonicTime
    /// Share of one core (100 = one core busy) since the previous sample of the same process,
    /// or `nil` at the first sample.
    var cpuPercent: Double?
    /// The last exact PSS and USS, when they were read, and the anonymous memory then.
    private var exact: ProcessMemory
    private(set) var exactAt: MonotonicTime
    private var anonymousAtExact: UInt64

    /// How old an exact reading may grow while nothing else asks for one.
    static let exactInterval: Duration = .seconds(300)

    /// Whether the next sample of `group` must read PSS and USS exactly.
    static func needsExactMemory(_ group: GroupUsage, previous: WorkerUsage?, pid: pid_t, cap: UInt64, at now: MonotonicTime) -> Bool {
        guard let previous, previous.pid == pid, previous.group.processes == group.processes else { return true }
        return group.memory.rss >= cap || now - previous.exactAt >= exactInterval
    }

    /// A new sample, with the CPU share since `previous` when that measured the same process.
    /// - Parameter exactMemory: PSS and USS read just now; nil to follow them from `previous`
    ///   (which must then be of the same process).
    init(pid: pid_t, group: GroupUsage, exactMemory: ProcessMemory?, at now: MonotonicTime, previous: WorkerUsage?) {
        self.pid = pid
        self.group = group
        self.sampledAt = now
        let sameProcess = previous.flatMap { $0.pid == pid ? $0 : nil }
        if let exactMemory {
            exact = exactMemory
            exactAt = now
            anonymousAtExact = group.anonymous
        } else if let sameProcess {
            exact = sameProcess.exact
            exactAt = sameProcess.exactAt
            anonymousAtExact = sameProcess.anonymousAtExact
        } else {
            // No exact reading to follow: the RSS is the bound.
            exact = ProcessMemory(rss: group.memory.rss, pss: group.memory.rss, uss: group.memory.rss)
            exactAt = now
            anonymousAtExact = group.anonymous
        }
        // Followed: the exact figures moved by the anonymous memory's change, never above the
        // RSS (so an estimate can never report a cap exceeded that the RSS rules out).
        let grown = Int64(bitPattern: group.anonymous &- anonymousAtExact)
        let follow = { (value: UInt64) -> UInt64 in
            min(UInt64(max(Int64(clamping: value) + grown, 0)), group.memory.rss)
        }
        self.group.memory.pss = exactMemory?.pss ?? follow(exact.pss)
        self.group.memory.uss = exactMemory?.uss ?? follow(exact.uss)
        if let sameProcess, now > sameProcess.sampledAt {
            // A member that ended without being waited for by another member takes its time
            // with it, so the sum can drop: that interval counts as idle, not negative.
            let ticks = group.cpuTicks > sameProcess.group.cpuTicks ? group.cpuTicks - sameProcess.group.cpuTicks : 0
            let seconds = Double(ticks) / Double(ProcFS.ticksPerSecond)
            let elapsed = Double((now - sameProcess.sampledAt).nanosecondsClamped) / 1e9
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
