import BotmasterSystem
import Testing

@testable import BotmasterSupervisor

/// PSS and USS are read exactly only when they can matter; in between they follow the
/// anonymous memory, and never report a cap exceeded that the RSS rules out.
@Suite struct WorkerUsageTests {
    let start = MonotonicTime(nanoseconds: 1_000_000_000_000)
    let megabyte: UInt64 = 1 << 20

    func group(rss: UInt64, anonymous: UInt64, processes: Int = 1, cpuTicks: UInt64 = 0) -> GroupUsage {
        GroupUsage(
            pids: Array(42..<42 + Int32(processes)), memory: ProcessMemory(rss: rss * megabyte, pss: 0, uss: 0),
            anonymous: anonymous * megabyte, cpuTicks: cpuTicks)
    }

    var first: WorkerUsage {
        WorkerUsage(
            pid: 42, group: group(rss: 30, anonymous: 8),
            exactMemory: ProcessMemory(rss: 30 * megabyte, pss: 10 * megabyte, uss: 8 * megabyte), at: start, previous: nil)
    }

    @Test func anExactReadingIsTakenWhenItCanMatter() {
        let cap = 100 * megabyte
        let later = start + .seconds(3)
        #expect(WorkerUsage.needsExactMemory(group(rss: 30, anonymous: 8), previous: nil, pid: 42, cap: cap, at: later))
        #expect(WorkerUsage.needsExactMemory(group(rss: 30, anonymous: 8), previous: first, pid: 43, cap: cap, at: later), "a new process")
        #expect(
            WorkerUsage.needsExactMemory(group(rss: 30, anonymous: 8, processes: 2), previous: first, pid: 42, cap: cap, at: later),
            "a member came or went")
        #expect(
            WorkerUsage.needsExactMemory(group(rss: 100, anonymous: 8), previous: first, pid: 42, cap: cap, at: later), "RSS at the cap")
        #expect(
            WorkerUsage.needsExactMemory(
                group(rss: 30, anonymous: 8), previous: first, pid: 42, cap: cap, at: start + WorkerUsage.exactInterval), "grown old")
        #expect(!WorkerUsage.needsExactMemory(group(rss: 99, anonymous: 60), previous: first, pid: 42, cap: cap, at: later))
    }

    @Test func betweenExactReadingsPSSAndUSSFollowTheAnonymousMemory() {
        let grown = WorkerUsage(pid: 42, group: group(rss: 34, anonymous: 12), exactMemory: nil, at: start + .seconds(3), previous: first)
        #expect(grown.group.memory.pss == 14 * megabyte)
        #expect(grown.group.memory.uss == 12 * megabyte)
        #expect(grown.exactAt == start, "still the first exact reading")
        let shrunk = WorkerUsage(pid: 42, group: group(rss: 20, anonymous: 0), exactMemory: nil, at: start + .seconds(6), previous: grown)
        #expect(shrunk.group.memory.pss == 2 * megabyte)
        #expect(shrunk.group.memory.uss == 0)
        // The shared part left the RSS: the followed figure stays within it.
        let bounded = WorkerUsage(pid: 42, group: group(rss: 9, anonymous: 8), exactMemory: nil, at: start + .seconds(9), previous: first)
        #expect(bounded.group.memory.pss == 9 * megabyte)
    }

    @Test func anExactReadingReplacesTheFollowedOneAndCPUIsMeasuredEitherWay() {
        let next = WorkerUsage(
            pid: 42, group: group(rss: 30, anonymous: 9, cpuTicks: ProcFS.ticksPerSecond * 3),
            exactMemory: ProcessMemory(rss: 30 * megabyte, pss: 11 * megabyte, uss: 9 * megabyte), at: start + .seconds(6),
            previous: first)
        #expect(next.group.memory.pss == 11 * megabyte)
        #expect(next.exactAt == start + .seconds(6))
        #expect(next.cpuPercent == 50)
    }
}
