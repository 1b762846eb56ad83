import BotAPI
import BotAPISandbox
import BotmasterSystem
import Glibc
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The real `botapi-sandbox` on a free loopback port, with its test controls.
final class SandboxProcess {
    let port: Int
    private let pid: pid_t

    /// Starts the sandbox on a port it picks itself (`--port 0`) and reads that port from its
    /// "listening on" line: a port chosen in advance could be taken by a concurrently running
    /// test before the sandbox binds it.
    /// - Parameter host: the address to listen on (`0.0.0.0`: also for hosts in network
    ///   namespaces, see ``NetworkLab``).
    /// - Parameter firstID: each bot's first update id and each chat's first message id; 1
    ///   unless a test asks for the binary's own default (`nil`), so tests may inject raw
    ///   updates with small ids.
    init(directory: String, host: String = "127.0.0.1", firstID: Int64? = 1) throws {
        let executable = FileSystem.currentExecutablePath() ?? ""
        let binaries = String(executable[..<(executable.lastIndex(of: "/") ?? executable.endIndex)])
        let outputPath = "\(directory)/sandbox.out"
        let output = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        defer { close(output) }
        let null = try Descriptors.openNull()
        defer { close(null) }
        pid = try ProcessSpawner.spawn(
            SpawnRequest(
                arguments: ["\(binaries)/botapi-sandbox", "--host", host, "--port", "0"]
                    + (firstID.map { ["--first-id", "\($0)"] } ?? []), environment: Environment.current(),
                descriptors: [0: null, 1: output, 2: output]))
        let deadline = MonotonicTime.now() + .seconds(20)
        var announced: Int?
        while announced == nil {
            let text = String(decoding: FileSystem.readFile(outputPath) ?? [], as: UTF8.self)
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("botapi-sandbox listening on http://") }) {
                announced = line.split(separator: ":").last.flatMap { Int($0) }
                continue
            }
            var status: Int32 = 0
            guard waitpid(pid, &status, WNOHANG) == 0, MonotonicTime.now() < deadline else {
                kill(pid, SIGKILL)
                throw HTTPGet.Failure(description: "the sandbox did not start: \(text.suffix(2000))")
            }
            usleep(20_000)
        }
        port = announced ?? 0
    }

    var apiBase: String { "http://127.0.0.1:\(port)" }

    /// Every `getUpdates` the sandbox saw for `bot`, with the caller's host.
    func polls(bot: Int64) throws -> [PollRecord] {
        let answer = try HTTPGet.get(port: port, path: "/sandbox/bots/\(bot)/polls")
        return try JSONDecoder().decode([PollRecord].self, from: Data(answer.body.utf8))
    }

    /// A user writes `text` in `chat`; returns the update's message id.
    @discardableResult
    func send(bot: Int64, chat: Int64, _ text: String, replyTo: Int64? = nil) throws -> Int64 {
        let reply = replyTo.map { ",\"reply_to_message_id\":\($0)" } ?? ""
        let body = "{\"chat_id\":\(chat),\"text\":\(Self.quoted(text))\(reply)}"
        let answer = try HTTPGet.post(port: port, path: "/sandbox/bots/\(bot)/messages", body: body)
        let update = try JSONDecoder().decode(Update.self, from: Data(answer.body.utf8))
        return update.message?.messageID ?? 0
    }

    func post(_ path: String, _ body: String) throws {
        let answer = try HTTPGet.post(port: port, path: path, body: body)
        guard answer.status == 200 else { throw HTTPGet.Failure(description: "\(path): \(answer.status) \(answer.body)") }
    }

    func sent(bot: Int64, chat: Int64? = nil) throws -> [SentRecord] {
        let query = chat.map { "?chat_id=\($0)" } ?? ""
        let answer = try HTTPGet.get(port: port, path: "/sandbox/bots/\(bot)/sent\(query)")
        return try JSONDecoder().decode([SentRecord].self, from: Data(answer.body.utf8))
    }

    func summary(bot: Int64) throws -> SandboxBotSummary {
        let answer = try HTTPGet.get(port: port, path: "/sandbox/bots/\(bot)")
        return try JSONDecoder().decode(SandboxBotSummary.self, from: Data(answer.body.utf8))
    }

    /// Waits until the bot has sent at least `count` messages to `chat`; returns them.
    @discardableResult
    func waitForSent(
        bot: Int64, chat: Int64? = nil, count: Int, timeout: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> [SentRecord] {
        let deadline = MonotonicTime.now() + timeout
        var last: [SentRecord] = []
        // Looks once more after the deadline, as `TestFleet.waitForStatus` does.
        while true {
            let late = MonotonicTime.now() >= deadline
            last = (try? sent(bot: bot, chat: chat)) ?? last
            if last.count >= count { return last }
            if late { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record(
            "bot \(bot) sent \(last.count) messages to \(chat.map(String.init) ?? "any chat"), expected \(count): \(last)",
            sourceLocation: sourceLocation)
        throw TestFleet.TimedOut()
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    func stop() {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
    }
}
