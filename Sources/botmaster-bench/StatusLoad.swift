import BotmasterSystem
import Glibc

/// Load on the status endpoint with wrk (Debian's `wrk`), a separate process on loopback.
struct StatusLoad {
    struct Result {
        var connections: Int
        var requestsPerSecond: String
        var p50: String
        var p99: String
    }

    /// wrk's path, if installed.
    static var wrk: String? {
        ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: FileSystem.isExecutable)
    }

    /// Runs wrk for `seconds` with `connections` connections against `url`.
    static func run(wrk: String, url: String, connections: Int, seconds: Int) async throws -> Result {
        let output = "/tmp/botmaster-bench-wrk-\(getpid()).txt"
        defer { FileSystem.removeFile(output) }
        let file = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let null = try Descriptors.openNull()
        let pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: [wrk, "-t1", "-c\(connections)", "-d\(seconds)s", "--latency", url],
                environment: Environment.current(),
                descriptors: [0: null, 1: file, 2: file]))
        close(file)
        close(null)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        let text = String(decoding: FileSystem.readFile(output) ?? [], as: UTF8.self)
        func field(_ prefix: String) -> String {
            text.split(separator: "\n").first { $0.trimmingSpaces().hasPrefix(prefix) }?
                .split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.map(String.init) ?? "?"
        }
        let rate =
            text.split(separator: "\n").first { $0.hasPrefix("Requests/sec:") }?
            .split(separator: " ", omittingEmptySubsequences: true).last.map(String.init) ?? "?"
        return Result(connections: connections, requestsPerSecond: rate, p50: field("50%"), p99: field("99%"))
    }
}
