import BotmasterSystem
import Glibc

/// Whether a process still runs: it exists and is not a zombie waiting for a reaper. A worker
/// orphaned by a killed master is reparented, and in a container nobody may reap it.
func isRunning(_ pid: pid_t) -> Bool {
    guard let bytes = FileSystem.readFile("/proc/\(pid)/stat") else { return false }
    let text = String(decoding: bytes, as: UTF8.self)
    guard let close = text.lastIndex(of: ")") else { return false }
    let state = text[text.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Polls until `pid` no longer runs.
func waitUntilGone(_ pid: pid_t, timeout: Duration) async -> Bool {
    let deadline = MonotonicTime.now() + timeout
    while MonotonicTime.now() < deadline {
        if !isRunning(pid) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return !isRunning(pid)
}

/// Runs a program to completion with stdout and stderr captured together; `code` is -1 when
/// it did not exit normally.
func runProgram(
    _ arguments: [String], environment: [String: String] = Environment.current(), stderr captureErrors: Bool = true
) throws -> (code: Int32, output: String) {
    let run = try CapturedRun(arguments, environment: environment, captureErrors: captureErrors)
    var status: Int32 = 0
    while waitpid(run.pid, &status, 0) == -1 && errno == EINTR {}
    return run.finish(status: status)
}

/// The same without holding a thread of the shared pool while the program runs (a pip install
/// takes half a minute, and the pool has one thread per core).
func runProgramAsync(_ arguments: [String], environment: [String: String] = Environment.current()) async throws -> (
    code: Int32, output: String
) {
    let run = try CapturedRun(arguments, environment: environment, captureErrors: true)
    var status: Int32 = 0
    while waitpid(run.pid, &status, WNOHANG) == 0 { try await Task.sleep(for: .milliseconds(100)) }
    return run.finish(status: status)
}

/// A spawned program whose output goes to a temporary file.
private struct CapturedRun {
    let pid: pid_t
    let path = "/tmp/botmaster-output-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).txt"

    init(_ arguments: [String], environment: [String: String], captureErrors: Bool) throws {
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        let null = try Descriptors.openNull()
        let spawned = Result {
            try ProcessSpawner.spawn(
                SpawnRequest(
                    arguments: arguments, environment: environment, descriptors: [0: null, 1: output, 2: captureErrors ? output : null]))
        }
        close(output)
        close(null)
        if case .failure = spawned { FileSystem.removeFile(path) }
        pid = try spawned.get()
    }

    /// The exit code and the output, the file removed.
    func finish(status: Int32) -> (code: Int32, output: String) {
        let text = String(decoding: FileSystem.readFile(path) ?? [], as: UTF8.self)
        FileSystem.removeFile(path)
        guard case .exited(let code) = BotmasterSystem.ExitStatus(rawWaitStatus: status) else { return (-1, text) }
        return (code, text)
    }
}

/// Whether an epoll instance of `pid` watches the socket on its descriptor `fd` — through a
/// duplicate, as a worker's event loop reads the master's channel once its bot runtime runs.
/// From `/proc`: the socket's inode behind each descriptor, and the `tfd:` lines of each epoll
/// descriptor's `fdinfo`.
func anEventLoopWatchesTheSocket(of pid: pid_t, fd: Int32) -> Bool {
    func target(_ descriptor: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let count = readlink("/proc/\(pid)/fd/\(descriptor)", &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
    guard let socket = target("\(fd)"), socket.hasPrefix("socket:"),
        let descriptors = FileSystem.directoryEntries("/proc/\(pid)/fd")
    else { return false }
    let duplicates = Set(descriptors.filter { $0 != "\(fd)" && target($0) == socket })
    for epoll in descriptors where target(epoll) == "anon_inode:[eventpoll]" {
        guard let info = FileSystem.readFile("/proc/\(pid)/fdinfo/\(epoll)") else { continue }
        for line in String(decoding: info, as: UTF8.self).split(separator: "\n") where line.hasPrefix("tfd:") {
            let watched = line.dropFirst("tfd:".count).split(separator: " ", omittingEmptySubsequences: true).first.map(String.init)
            if let watched, duplicates.contains(watched) { return true }
        }
    }
    return false
}
