import BotmasterSystem
import Glibc

/// One line on standard error as each run ends, so that a long benchmark shows where it is and a
/// run that is stopped or times out still leaves the figures measured so far; the table on
/// standard output stays the only result.
enum BenchmarkProgress {
    static func say(_ line: String) {
        try? FileSystem.writeAll(STDERR_FILENO, Array("botmaster-bench: \(line)\n".utf8))
    }
}
