import BotmasterSystem
import Glibc

/// The repository's `ops` directory.
let opsDirectory = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/") + "/ops"

/// Runs Prometheus' `promtool` (Debian's `prometheus` package, which ops/install-deps.sh
/// installs) with `input` on its standard input.
func promtool(_ arguments: [String], input: String = "") throws -> (code: Int32, output: String) {
    let path = "/tmp/botmaster-promtool-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileSystem.writeFileAtomically(path, Array(input.utf8))
    defer { FileSystem.removeFile(path) }
    let command = (["promtool"] + arguments).map { "'\($0)'" }.joined(separator: " ")
    return try runProgram(["/bin/sh", "-c", "\(command) < '\(path)'"])
}
