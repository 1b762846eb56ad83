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
        _ = try await runProgramAsync(["rm", "-rf", building, directory])
        try await check(["python3", "-m", "venv", building], "creating a virtual environment (Debian: apt-get install python3-venv)")
        try await check(
            [building + "/bin/pip", "install", "--quiet", "--disable-pip-version-check", "--retries", "10", "-r", requirements],
            "installing the frameworks from PyPI")
        try FileSystem.writeFileAtomically(building + "/requirements.txt", wanted)
        guard rename(building, directory) == 0 else { throw HTTPGet.Failure(description: "cannot move \(building) to \(directory)") }
        // `python`, not the venv's scripts (pip…): they name the interpreter by the path it was built at.
        return directory + "/bin/python"
    }

    private static func check(_ arguments: [String], _ what: String) async throws {
        let (code, output) = try await runProgramAsync(arguments)
        guard code == 0 else { throw HTTPGet.Failure(description: "\(what) failed (exit \(code)): \(output.suffix(3000))") }
    }
}
