import ArgumentParser
import AsyncHTTPClient
import BotAPISandbox
import Glibc
import Hummingbird
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botapi-sandbox`: a local stand-in for the Telegram Bot API, to run a fleet offline.
@main
struct BotAPISandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "botapi-sandbox",
        abstract: "A local Telegram Bot API for trying and testing bots offline.",
        discussion: """
            Bot API: POST or GET http://HOST:PORT/bot<id>:<secret>/<method> (getMe, getUpdates, sendMessage,
            forwardMessage, copyMessage, setWebhook, deleteWebhook). Any token of that form is a bot.
            Test controls:
              POST /sandbox/bots/<id>/messages  {"chat_id": 42, "text": "hi"}     a user writes to the bot
              POST /sandbox/bots/<id>/updates   <Update>                          queue a raw update
              GET  /sandbox/bots/<id>/sent[?chat_id=42&after=N]                   what the bot sent
              GET  /sandbox/bots/<id>/polls                                       every getUpdates: caller host, start, end, how it ended
              POST /sandbox/bots/<id>/faults    {"status": 429, "retry_after": 2, "count": 1}
              GET  /sandbox/bots[/<id>]   DELETE /sandbox/bots/<id>
            """)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 takes a free one, which the \"listening on\" line names.")
    var port = 8081

    @Option(
        help: ArgumentHelp(
            "The id of each bot's first update and of each chat's first message.",
            discussion: """
                By default the seconds since the Unix epoch: a sandbox restarted under the same bots \
                numbers above the last one (unless that one handed out more than an id a second on \
                average), as Telegram never reuses an id, and a bot skips update ids its durable store \
                has taken and message ids its dedup window has seen. Tests that inject raw updates with \
                small ids pass 1.
                """))
    var firstID: Int64?

    func run() async throws {
        var logger = Logger(label: "botapi-sandbox")
        logger.logLevel = .notice
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        let clock: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1_000_000) }
        let sandbox = Sandbox(
            clock: clock, firstID: firstID ?? Sandbox.firstIDNow(clock: clock),
            deliver: SandboxServer.deliverer(http: http))
        let app = Application(
            router: SandboxServer.router(sandbox: sandbox),
            server: .http1(configuration: .init(additionalChannelHandlers: [CloseOnHalfClose()])),
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "botapi-sandbox"),
            onServerRunning: { channel in
                // The bound port, not the asked one: with --port 0 a test learns it here, with no
                // window in which another process could take a port picked in advance.
                let line = "botapi-sandbox listening on http://\(host):\(channel.localAddress?.port ?? port)\n"
                // Straight to the descriptor: print() to a file is buffered.
                _ = Array(line.utf8).withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }
}
