import Glibc
import Testing

@testable import BotmasterSystem

/// The memory sample's `/proc` counters: parsed from bytes, and read again through kept
/// descriptors that follow their process and nothing else.
@Suite struct ProcessCountersTests {
    private static let page = UInt64(sysconf(Int32(_SC_PAGESIZE)))

    private static func parse(stat: String, statm: String) -> ProcessCounters? {
        Array(stat.utf8).withUnsafeBytes { stat in Array(statm.utf8).withUnsafeBytes { ProcessCounters.parse(stat: stat, statm: $0) } }
    }

    @Test func theFieldsAfterTheCommandNameAreReadWhateverTheNameHolds() {
        let stat = "1234 (a b) (c) S 1 777 777 0 -1 4194560 100 0 0 0 15 7 3 2 20 0 1 0 100 1000 250 18446744073709551615\n"
        let counters = Self.parse(stat: stat, statm: "1000 250 50 10 0 200 0\n")
        #expect(counters == ProcessCounters(processGroup: 777, cpuTicks: 27, resident: 250 * Self.page, anonymous: 200 * Self.page))
        // More shared than resident (a moment of accounting skew) is no negative memory.
        #expect(Self.parse(stat: stat, statm: "1000 250 300 10 0 200 0")?.anonymous == 0)
    }

    @Test func aMalformedOrShortFileIsNoReading() {
        let statm = "1000 250 50 10 0 200 0\n"
        #expect(Self.parse(stat: "1234 no name S 1 777 777", statm: statm) == nil)
        #expect(Self.parse(stat: "1234 (x) S 1 seven 777 0 -1 4194560 100 0 0 0 15 7 3 2", statm: statm) == nil)
        #expect(Self.parse(stat: "1234 (x) S 1 777 777 0 -1 4194560 100 0 0 0 15 7 3\n", statm: statm) == nil)
        #expect(Self.parse(stat: "1234 (x) S 1 777 777 0 -1 4194560 100 0 0 0 15 7 3 99999999999999999999", statm: statm) == nil)
        #expect(Self.parse(stat: "1234 (x) S 1 777 777 0 -1 4194560 100 0 0 0 15 7 3 2", statm: "1000 250") == nil)
        #expect(Self.parse(stat: "", statm: "") == nil)
    }

    @Test func keptFilesReadTheCountersAsTheyAreNow() throws {
        let files = try #require(ProcessCounterFiles(pid: getpid()))
        let before = try #require(files.read())
        #expect(before.processGroup == getpgrp())
        #expect(before.processGroup == ProcessCounters.read(of: getpid())?.processGroup)
        // 64 MB touched page by page: the same descriptors, read again from the start, see it.
        let size = 64 << 20
        let block = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: Int(Self.page))
        defer { block.deallocate() }
        for offset in stride(from: 0, to: size, by: Int(Self.page)) { block.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self) }
        let after = try #require(files.read())
        // Half the block is plenty to tell a fresh reading from a stale one, with room for other
        // tests of this process freeing memory meanwhile.
        #expect(after.resident >= before.resident + 32 << 20, "\(before.resident) → \(after.resident)")
        #expect(after.anonymous >= before.anonymous + 32 << 20, "\(before.anonymous) → \(after.anonymous)")
    }

    @Test func keptFilesReadNothingOnceTheirProcessIsReaped() throws {
        let null = try Descriptors.openNull()
        defer { close(null) }
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(arguments: ["/bin/sleep", "30"], environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        let files = try #require(ProcessCounterFiles(pid: pid))
        #expect(files.read() != nil)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = waitpid(pid, &status, 0)
        #expect(files.read() == nil, "a reaped process's kept files read nothing (its pid may belong to another one by now)")
        #expect(ProcessCounterFiles(pid: pid) == nil)
    }
}
