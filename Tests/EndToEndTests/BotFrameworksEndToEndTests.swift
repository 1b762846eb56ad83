import BotAPI
import BotAPISandbox
import BotmasterSystem
import Glibc
import Testing

/// Real bot frameworks from PyPI, unchanged, against `botapi-sandbox`: if the sandbox answers
/// with an object its users' frameworks cannot parse, it is no stand-in for Telegram.
@Suite struct BotFrameworksEndToEndTests {
    @Test func anAiogramEchoBotRunsAgainstTheSandbox() async throws {
        try await Self.echo(script: "aiogram_echo.py", bot: 7_101)
    }

    @Test func aPythonTelegramBotEchoBotRunsAgainstTheSandbox() async throws {
        try await Self.echo(script: "ptb_echo.py", bot: 7_102)
    }

    /// Texts that a form body must carry exactly: a number (a form field has no type), `+`, `&`,
    /// `=`, `%`, a JSON-looking text, and text beyond ASCII.
    static let texts = ["hello", "42", "1 + 1 = 2 & 100%", #"{"not": "json"}"#, "привет 👋"]

    static func echo(script: String, bot: Int64) async throws {
        let python = try await PythonFrameworks.shared.python()
        let directory = try FileSystem.makeTemporaryDirectory(prefix: "/tmp/botmaster-frameworks-")
        defer { _ = try? runProgram(["rm", "-rf", directory]) }
        let sandbox = try SandboxProcess(directory: directory)
        defer { sandbox.stop() }
        let logPath = directory + "/bot.log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        let null = try Descriptors.openNull()
        let spawned = Result {
            try ProcessSpawner.spawn(
                SpawnRequest(
                    arguments: [python, TestFleet.fixture("frameworks/" + script), sandbox.apiBase, "\(bot):framework-secret"],
                    environment: Environment.current(), descriptors: [0: null, 1: log, 2: log]))
        }
        close(log)
        close(null)
        let pid = try spawned.get()
        defer {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        }

        for (index, text) in texts.enumerated() {
            let chat = Int64(500 + index)
            let messageID = try sandbox.send(bot: bot, chat: chat, text)
            let sent: [SentRecord]
            do {
                sent = try await sandbox.waitForSent(bot: bot, chat: chat, count: 2, timeout: .seconds(30))
            } catch {
                Issue.record("\(script) log: \(String(decoding: FileSystem.readFile(logPath) ?? [], as: UTF8.self).suffix(3000))")
                throw error
            }
            #expect(sent.map(\.text) == ["echo: \(text)", "User \(chat) wrote at \(Self.year(sent[0].atMs))"])
            #expect(sent.first?.replyToMessageID == messageID, "the echo replies to the user's message")
        }
        let output = String(decoding: FileSystem.readFile(logPath) ?? [], as: UTF8.self)
        #expect(!output.contains("Traceback") && !output.contains("Error"), "\(script) logged a failure: \(output.suffix(3000))")
    }

    /// The UTC year of a time in milliseconds since the epoch.
    static func year(_ milliseconds: Int64) -> Int {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return Int(parts.tm_year) + 1900
    }
}
