import BotmasterIPC
import BotmasterSystem
import Glibc
import NIOPosix

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Runs a program per job: the ``HandlerRequest`` JSON on its stdin, the reply on its stdout
/// (trimmed; empty means no reply). A non-zero exit, a signal or the timeout fails the job; the
/// program's stderr goes to the worker's log.
public struct CommandHandler: BatchHandler {
    let argv: [String]
    let timeout: Duration
    let environment: [String: String]

    /// - Parameter environment: the program's environment (the worker's, without the token).
    public init(argv: [String], timeout: Duration, environment: [String: String]) {
        self.argv = argv
        self.timeout = timeout
        self.environment = environment
    }

    public func handle(_ request: HandlerRequest) async throws(HandlerFailure) -> HandlerReply {
        let input = request.jsonBytes
        let argv = self.argv
        let timeout = self.timeout
        let environment = self.environment
        let result: Result<String, HandlerFailure>
        do {
            // Spawning, writing, reading and waiting block: they run on NIO's thread pool, never
            // on the threads that run the pipeline.
            result = try await NIOThreadPool.singleton.runIfActive {
                Self.run(argv: argv, input: input, timeout: timeout, environment: environment)
            }
        } catch {
            throw HandlerFailure("cannot run \(argv[0]): \(error)")
        }
        let output = try result.get()
        return HandlerReply(reply: output.isEmpty ? nil : output)
    }

    static func run(argv: [String], input: [UInt8], timeout: Duration, environment: [String: String]) -> Result<String, HandlerFailure> {
        let stdin: (read: Int32, write: Int32)
        let stdout: (read: Int32, write: Int32)
        do {
            stdin = try Descriptors.pipe()
            stdout = try Descriptors.pipe()
        } catch {
            return .failure(HandlerFailure("cannot create pipes: \(error)"))
        }
        let pid: pid_t
        do {
            pid = try ProcessSpawner.spawn(
                SpawnRequest(
                    arguments: argv, environment: environment, workingDirectory: nil,
                    descriptors: [0: stdin.read, 1: stdout.write, 2: STDERR_FILENO], newProcessGroup: true))
        } catch {
            [stdin.read, stdin.write, stdout.read, stdout.write].forEach(Descriptors.close)
            return .failure(HandlerFailure("cannot start \(argv[0]): \(error)"))
        }
        Descriptors.close(stdin.read)
        Descriptors.close(stdout.write)
        // The request is small; a program that does not read stdin gets EPIPE, which is fine.
        try? FileSystem.writeAll(stdin.write, input)
        Descriptors.close(stdin.write)
        let deadline = MonotonicTime.now() + timeout
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var timedOut = false
        while true {
            let left = deadline - .now()
            guard left > .zero else {
                timedOut = true
                break
            }
            var poller = pollfd(fd: stdout.read, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(clamping: max(left.millisecondsClamped, 1)))
            if ready < 0 && errno == EINTR { continue }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(stdout.read, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            output.append(contentsOf: buffer[0..<count])
            if output.count > 64 * 1024 { break }
        }
        Descriptors.close(stdout.read)
        if timedOut { try? Processes.send(SIGKILL, toGroup: pid) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        if timedOut { return .failure(HandlerFailure("\(argv[0]) took longer than \(timeout)")) }
        let exit = ExitStatus(rawWaitStatus: status)
        guard exit.isSuccess else { return .failure(HandlerFailure("\(argv[0]) \(exit)")) }
        let text = String(decoding: output, as: UTF8.self)
        return .success(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
