import BotmasterSystem
import Glibc
import Testing

@testable import BotmasterSupervisor

@Suite struct LogTests {
    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(LogTimestamp.format(millisecondsSinceEpoch: 0) == "1970-01-01T00:00:00.000Z")
        #expect(LogTimestamp.format(millisecondsSinceEpoch: 1_795_000_000_123) == "2026-11-18T11:06:40.123Z")
    }

    @Test func everyLineGetsATimestampAndPartialLinesWait() {
        var lines = LineTimestamper()
        let first = lines.consume(Array("one\ntw".utf8), wallClockMs: 0)
        #expect(String(decoding: first, as: UTF8.self) == "1970-01-01T00:00:00.000Z one\n")
        let second = lines.consume(Array("o\n".utf8), wallClockMs: 1)
        #expect(String(decoding: second, as: UTF8.self) == "1970-01-01T00:00:00.001Z two\n")
        _ = lines.consume(Array("tail".utf8), wallClockMs: 2)
        #expect(String(decoding: lines.flush(wallClockMs: 2), as: UTF8.self) == "1970-01-01T00:00:00.002Z tail\n")
    }

    @Test func overlongLinesAreCut() {
        var lines = LineTimestamper(maximumLineBytes: 4)
        let output = String(decoding: lines.consume(Array("abcdefgh".utf8), wallClockMs: 0), as: UTF8.self)
        #expect(output.split(separator: "\n").map { $0.split(separator: " ").last! } == ["abcd", "efgh"])
    }

    @Test func manyLinesInOneChunkAndCutsAcrossChunks() {
        var lines = LineTimestamper(maximumLineBytes: 6)
        let first = String(decoding: lines.consume(Array("a\nbb\ncccccccc\ndd".utf8), wallClockMs: 0), as: UTF8.self)
        #expect(
            first.split(separator: "\n", omittingEmptySubsequences: false).map { $0.split(separator: " ").last ?? "" } == [
                "a", "bb", "cccccc", "cc", "",
            ])
        let second = String(decoding: lines.consume(Array("ddddddd\n".utf8), wallClockMs: 0), as: UTF8.self)
        #expect(second.split(separator: "\n").map { $0.split(separator: " ").last! } == ["dddddd", "ddd"])
    }

    @Test func theLogBudgetPassesBurstsThenTheRate() {
        let start = MonotonicTime(nanoseconds: 1_000_000_000)
        var budget = LogBudget(bytesPerSecond: 100_000, now: start)
        let burst = budget.admit(400_000, now: start)
        #expect(burst, "four seconds' worth at once")
        let empty = budget.admit(1, now: start)
        #expect(!empty)
        let tooMuch = budget.admit(60_000, now: start + .milliseconds(500))
        #expect(!tooMuch, "half a second refills 50 KB")
        let refilled = budget.admit(50_000, now: start + .milliseconds(500))
        #expect(refilled)
        var small = LogBudget(bytesPerSecond: 1024, now: start)
        let smallBurst = small.admit(65_536, now: start)
        #expect(smallBurst, "the burst is at least 64 KB")
    }

    @Test func rotatesBySizeKeepingABoundedNumberOfFiles() throws {
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-log-")
        let path = "\(directory)/worker_a.log"
        let log = RotatingLogFile(path: path, maximumBytes: 100, filesKept: 2)
        let line = Array(String(repeating: "x", count: 39).utf8) + [0x0A]  // 40 bytes
        for _ in 0..<10 { log.append(line) }
        log.close()
        #expect(FileSystem.fileSize(path)! <= 100)
        #expect(FileSystem.fileSize("\(path).1")! == 80)
        #expect(FileSystem.fileSize("\(path).2")! == 80)
        #expect(!FileSystem.exists("\(path).3"))
        for file in [path, "\(path).1", "\(path).2"] { FileSystem.removeFile(file) }
        rmdir(directory)
    }

    @Test func logValuesWithSpacesAreQuoted() {
        #expect(LogValue.render("plain") == "plain")
        #expect(LogValue.render("exit 1") == "\"exit 1\"")
        #expect(LogValue.render("say \"hi\"") == "\"say \\\"hi\\\"\"")
        #expect(LogValue.render("") == "\"\"")
    }

    @Test func logValuesCannotForgeLinesOrFloodTheLog() {
        let forged = LogValue.render("botworker/1\n2026-01-01T00:00:00.000Z error master stopping")
        #expect(!forged.contains("\n"), "a newline is escaped, not written")
        #expect(forged == #""botworker/1\n2026-01-01T00:00:00.000Z error master stopping""#)
        #expect(LogValue.render("a\u{1b}[31mred\r") == #""a\u{1b}[31mred\r""#, "terminal escapes are escaped")
        let huge = LogValue.render(String(repeating: "x", count: 1_000_000))
        #expect(huge.count < 300)
        #expect(huge.hasSuffix("…(+999744 more)\""))
        #expect(LogValue.message("worker said\nforged") == "worker said\\nforged")
    }

    @Test func pidFilesRoundTripAndRejectJunk() {
        let file = WorkerPIDFile(pid: 1234, startTime: 987_654)
        #expect(WorkerPIDFile(contents: file.contents) == file)
        #expect(WorkerPIDFile(contents: Array("1\n".utf8)) == nil)
        #expect(WorkerPIDFile(contents: Array("1 2\n".utf8)) == nil, "pid 1 is never ours")
        #expect(WorkerPIDFile(contents: Array("abc 5".utf8)) == nil)
    }

    @Test func pidFileOfThisProcessIsRunningAndAnotherStartTimeIsNot() throws {
        let me = getpid()
        let start = try #require(ProcFS.startTime(of: me))
        #expect(WorkerPIDFile(pid: me, startTime: start).isStillRunning)
        #expect(!WorkerPIDFile(pid: me, startTime: start + 1).isStillRunning, "a reused pid is not ours")
    }
}
