import BotmasterSystem
import Glibc

/// `Tests/Fixtures/fleet_source.py` on a loopback port it binds itself (port 0, then written to
/// a file: a port picked in advance could be taken by a concurrent test's server first, and the
/// test would talk to that one): a platform's API that serves the fleet as JSON, with an ETag,
/// and fails on demand. Its files live outside the fleet's home, so the tokens it serves are on
/// disk only there.
final class FleetSourceProcess {
    let directory: String
    let port: Int
    private let pid: pid_t

    init() throws {
        directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-source-")
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["python3", TestFleet.fixture("fleet_source.py"), directory, "0"],
                environment: Environment.current(), descriptors: [0: null, 1: null, 2: null]))
        let deadline = MonotonicTime.now() + .seconds(20)
        var bound: Int?
        while bound == nil {
            bound = FileSystem.readFile("\(directory)/port").flatMap { Int(String(decoding: $0, as: UTF8.self)) }
            if bound == nil && MonotonicTime.now() >= deadline {
                kill(pid, SIGKILL)
                throw HTTPGet.Failure(description: "the fleet source did not start")
            }
            if bound == nil { usleep(20_000) }
        }
        port = bound ?? 0
        try? FileSystem.writeFileAtomically("\(directory)/requests.log", [])
    }

    /// The URL the master is given (with a query that stands for a credential in the URL).
    var url: String { "http://127.0.0.1:\(port)/fleet?key=query-credential" }

    /// Serves `bots` (JSON objects) from now on.
    func serve(_ bots: [String]) throws {
        try FileSystem.writeFileAtomically("\(directory)/fleet.json", Array(#"{"bots": [\#(bots.joined(separator: ", "))]}"#.utf8))
        try setMode("ok")
    }

    /// `ok`, `500` or `garbage`.
    func setMode(_ mode: String) throws {
        try FileSystem.writeFileAtomically("\(directory)/mode", Array(mode.utf8))
    }

    /// Each request so far: `<status> <If-None-Match> <Authorization>`.
    var requests: [String] {
        String(decoding: FileSystem.readFile("\(directory)/requests.log") ?? [], as: UTF8.self).split(separator: "\n").map(String.init)
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        FileSystem.removeTree(directory)
    }
}
