import BotmasterSystem
import Glibc

/// One line on standard error as each run ends, so that a long benchmark shows where it is and a
/// run that is stopped or times out still leaves the figures measured so far; the table on
/// standard output stays the only result.
enum BenchmarkProgress {
    static func say(_ line: String) {
        try? FileSystem.writeAll(STDERR_FILENO, Array("botmaster-bench: \(line)\n".utf8))
    }

    /// A figure with no more decimals than it needs to be read.
    static func figure(_ value: Double, decimals: Int = 0) -> String {
        decimals == 0 ? "\(Int(value.rounded()))" : "\((value * pow(10, Double(decimals))).rounded() / pow(10, Double(decimals)))"
    }
}
