import ArgumentParser
import BotmasterControl
import BotmasterIPC
import BotmasterSystem

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botmaster broadcast <bot> --chats FILE|--known --text …|--copy CHAT:MESSAGE`, and
/// `broadcast list <bot>`, `broadcast show|pause|resume|cancel <bot> <id>`.
struct BroadcastCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcast",
        abstract: "Send one message to many chats of a bot, and watch or control its broadcasts.",
        discussion: """
            botmaster broadcast <bot> (--chats FILE | --known) (--text TEXT | --copy CHAT:MESSAGE) [--rate N]
              starts a broadcast and shows its progress until it ends (Ctrl-C leaves it running; \
            --detach returns at once). FILE has one chat id per line, or is a JSON array of them.
            botmaster broadcast list <bot>                    the bot's broadcasts
            botmaster broadcast show <bot> <id>               one broadcast's report, with the chats not reached
            botmaster broadcast pause|resume|cancel <bot> <id>
            The bot's worker sends it through the bot's rate limits (replies go first) and records \
            every chat in the bot's store, so a restart resumes where it stopped.
            """)

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot, or an action: list, show, pause, resume, cancel.")
    var first: String

    @Argument(help: "With an action: the bot.")
    var bot: String?

    @Argument(help: "With show, pause, resume and cancel: the broadcast's id.")
    var id: String?

    @Option(name: .long, help: "A file of chat ids: one per line, or a JSON array.")
    var chats: String?

    @Flag(name: .long, help: "Every chat the bot has talked to, less those that blocked it.")
    var known = false

    @Option(name: .long, help: "The text to send.")
    var text: String?

    @Option(name: .customLong("parse-mode"), help: "HTML, Markdown or MarkdownV2.")
    var parseMode: String?

    @Option(name: .long, help: "Copy this message instead of a text: <chat id>:<message id>.")
    var copy: String?

    @Option(name: .long, help: "Messages per second (default: the bot's [rate] broadcast_per_second; at most 1000).")
    var rate: Double?

    @Flag(name: .long, help: "Return once the broadcast is made, without showing its progress.")
    var detach = false

    @Flag(name: .long, help: "Print the answer as JSON.")
    var json = false

    static let actions: Set<String> = ["list", "show", "pause", "resume", "cancel"]

    func validate() throws {
        if Self.actions.contains(first) {
            guard bot != nil else { throw ValidationError("\(first) needs the bot") }
            if first == "list" && id != nil { throw ValidationError("list takes only the bot") }
            if first != "list" && id == nil { throw ValidationError("\(first) needs the broadcast's id (see `broadcast list <bot>`)") }
            return
        }
        if bot != nil { throw ValidationError("unknown action \"\(first)\"; use list, show, pause, resume or cancel") }
        if (chats == nil) == !known { throw ValidationError("give the audience: --chats FILE or --known") }
        if (text == nil) == (copy == nil) { throw ValidationError("give the message: --text TEXT or --copy CHAT:MESSAGE") }
        if let copy, Self.copied(copy) == nil { throw ValidationError("--copy takes <chat id>:<message id>, such as -1001234:56") }
    }

    /// `-1001234:56` → chat and message.
    static func copied(_ text: String) -> (chat: Int64, message: Int64)? {
        guard let colon = text.lastIndex(of: ":"), let chat = Int64(text[..<colon]), let message = Int64(text[text.index(after: colon)...])
        else { return nil }
        return (chat, message)
    }

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            guard Self.actions.contains(first), let bot else {
                try await start(context: context)
                return
            }
            let action = BroadcastRequest.Action(rawValue: first) ?? .list
            let answer = try ask(bot, BroadcastRequest(requestID: 0, action: action, id: id), context: context)
            if json { return print(json: first == "list" ? answer as any Encodable : answer.first as any Encodable) }
            switch action {
            case .list: Terminal.write(BroadcastReport.table(answer, bot: bot))
            case .show: Terminal.write(answer.first.map(BroadcastReport.details) ?? "")
            default:
                Terminal.write("broadcast \(id ?? "") of \(bot): \(answer.first?.state.rawValue ?? "unknown")\n")
            }
        } catch {
            error.exit()
        }
    }

    private func start(context: FleetContext) async throws(CLIFailure) {
        let bot = first
        let message =
            if let copy, let source = Self.copied(copy) {
                BroadcastMessage(fromChatID: source.chat, messageID: source.message)
            } else {
                BroadcastMessage(text: text, parseMode: parseMode)
            }
        let list = try chats.map { path throws(CLIFailure) in try ChatListFile.read(path) }
        let request = BroadcastRequest(
            requestID: 0, action: .create, message: message, chats: list, audience: known ? "known" : nil, rate: rate)
        if let problem = request.createProblem { throw CLIFailure(problem) }
        guard let made = try ask(bot, request, context: context).first else { throw CLIFailure("the master answered no broadcast") }
        if json && detach { return print(json: made) }
        if !json {
            Terminal.write("broadcast \(made.id) of \(bot): \(made.total) chats at up to \(BroadcastReport.number(made.ratePerSecond))/s\n")
        }
        if detach { return }
        let last = await follow(bot, made, context: context)
        if json { return print(json: last) }
        Terminal.write(BroadcastReport.details(last))
        if last.state == .cancelled { throw CLIFailure("broadcast \(last.id) was cancelled") }
    }

    /// Shows the progress until the broadcast ends or pauses; returns its last report.
    private func follow(_ bot: String, _ made: BroadcastInfo, context: FleetContext) async -> BroadcastInfo {
        var progress = BroadcastProgress(total: made.total)
        var last = made
        let terminal = Terminal.standardOutputIsTerminal && !json
        while true {
            guard let now = try? ask(bot, BroadcastRequest(requestID: 0, action: .show, id: made.id), context: context).first else {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            last = now
            progress.observe(done: now.counts.done, at: .now())
            if terminal {
                Terminal.write("\r" + progress.line(state: now.state.rawValue))
            } else if !json, let line = progress.milestone(state: now.state.rawValue) {
                Terminal.write(line + "\n")
            }
            if now.state != .running && now.state != .queued { break }
            try? await Task.sleep(for: .milliseconds(500))
        }
        if terminal { Terminal.write("\n") }
        return last
    }

    private func ask(_ bot: String, _ request: BroadcastRequest, context: FleetContext) throws(CLIFailure) -> [BroadcastInfo] {
        let answer: ControlResponse
        do {
            answer = try context.client.send(ControlRequest(command: "broadcast", id: bot, broadcast: request))
        } catch {
            throw context.unreachable(error)
        }
        guard answer.ok else { throw CLIFailure(answer.error ?? "the master refused") }
        return answer.broadcasts ?? []
    }

    private func print(json value: any Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        Terminal.write(String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self) + "\n")
    }
}
