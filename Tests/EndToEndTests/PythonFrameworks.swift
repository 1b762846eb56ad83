import BotmasterSystem
import Glibc
import Testing

/// A Python virtual environment with the bot frameworks of
/// `Tests/Fixtures/frameworks/requirements.txt`, installed from PyPI once per build directory
/// (`.build/test-python`) and reused while the requirements are unchanged.
actor PythonFrameworks {
    static let shared = PythonFrameworks()

    private var ready: Task<String, any Error>?

    /// The environment's `python`, installing the frameworks first when needed.
    func python() async throws -> String {
        if let ready { return try await ready.value }
        let task = Task { try await Self.prepare() }
        ready = task
        return try await task.value
    }

    private static let requirements = TestFleet.fixture("frameworks/requirements.txt")

    private static var directory: String {
        // Tests/EndToEndTests/PythonFrameworks.swift → .build/test-python
        let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        return root + "/.build/test-python"
    }

    private static func prepare() async throws -> String {
        let wanted = FileSystem.readFile(requirements) ?? []
        let stamp = directory + "/requirements.txt"
        if FileSystem.readFile(stamp) == wanted { return directory + "/bin/python" }
        // Built aside and moved into place, so an interrupted install is never taken as done.
        let building = directory + ".\(getpid())"
        _ = try await run(["rm", "-rf", building, directory])
        try await check(["python3", "-m", "venv", building], "creating a virtual environment (Debian: apt-get install python3-venv)")
        try await check(
            [building + "/bin/pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "10", "-r", requirements],
            "installing the frameworks from PyPI")
        try FileSystem.writeFileAtomically(building + "/requirements.txt", wanted)
        guard rename(building, directory) == 0 else { throw HTTPGet.Failure(description: "cannot move \(building) to \(directory)") }
        // The venv's scripts name the interpreter by its path at creation; `python` itself does not.
        return directory + "/bin/python"
    }

    private static func check(_ arguments: [String], _ what: String) async throws {
        let (code, output) = try await run(arguments)
        guard code == 0 else { throw HTTPGet.Failure(description: "\(what) failed (exit \(code)): \(output.suffix(3000))") }
    }

    /// Runs a program to its end without holding a thread of the shared pool while it runs.
    private static func run(_ arguments: [String]) async throws -> (Int32, String) {
        let path = "/tmp/botmaster-python-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"
        defer { FileSystem.removeFile(path) }
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let null = try Descriptors.openNull()
        let spawned = Result {
            try ProcessSpawner.spawn(
                SpawnRequest(arguments: arguments, environment: Environment.current(), descriptors: [0: null, 1: output, 2: output]))
        }
        close(output)
        close(null)
        let pid = try spawned.get()
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(100)) }
        let text = String(decoding: FileSystem.readFile(path) ?? [], as: UTF8.self)
        guard case .exited(let code) = BotmasterSystem.ExitStatus(rawWaitStatus: status) else { return (-1, text) }
        return (code, text)
    }
}
