import ArgumentParser
import BotmasterControl
import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botmaster dlq <bot> list|show <key>|retry <key>|retry --all|purge`: a bot's dead letters.
struct DeadLetterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq",
        abstract: "Inspect, rerun or empty a bot's dead-letter list.",
        discussion: """
            Jobs that failed max_attempts times. The bot's worker keeps them (in memory, or in Redis \
            when REDIS_URL is set), so the master must be running.
              list              every entry, oldest first
              show <key>        one entry with its messages and last error
              retry <key>       run one entry again from its first attempt
              retry --all       run every entry again
              purge             drop every entry
            """)

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot.")
    var bot: String

    @Argument(help: "list, show, retry or purge.")
    var action: String

    @Argument(help: "The entry's key (as `list` shows it), for show and retry.")
    var key: String?

    @Flag(name: .long, help: "With retry: every entry.")
    var all = false

    @Flag(name: .long, help: "Print the answer as JSON.")
    var json = false

    func validate() throws {
        switch action {
        case "list", "purge":
            if key != nil { throw ValidationError("\(action) takes no key") }
        case "show":
            if key == nil { throw ValidationError("show needs the entry's key (see `botmaster dlq \(bot) list`)") }
        case "retry":
            if (key == nil) == !all { throw ValidationError("retry needs either an entry's key or --all") }
        default:
            throw ValidationError("unknown action \"\(action)\"; use list, show, retry or purge")
        }
    }

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let wire: DeadLetterRequest.Action =
                switch action {
                case "retry": .retry
                case "purge": .purge
                default: .list
                }
            let reply = try send(wire, key: action == "retry" ? key : nil, context: context)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                Terminal.write(String(decoding: (try? encoder.encode(reply)) ?? Data(), as: UTF8.self) + "\n")
                return
            }
            switch action {
            case "list": Terminal.write(Self.table(reply.entries ?? [], store: reply.store))
            case "show":
                guard let entry = reply.entries?.last(where: { $0.key == key }) else {
                    throw CLIFailure("\(bot) has no dead letter \(key ?? "")")
                }
                Terminal.write(Self.details(entry))
            case "retry": Terminal.write("\(reply.count ?? 0) dead letter(s) of \(bot) queued again\n")
            default: Terminal.write("\(reply.count ?? 0) dead letter(s) of \(bot) dropped\n")
            }
        } catch {
            error.exit()
        }
    }

    private func send(_ action: DeadLetterRequest.Action, key: String?, context: FleetContext) throws(CLIFailure) -> DeadLetterReply {
        let answer: ControlResponse
        do {
            answer = try context.client.send(ControlRequest(command: "dlq", id: bot, action: action, key: key))
        } catch {
            throw context.unreachable(error)
        }
        guard answer.ok, let reply = answer.deadLetters else { throw CLIFailure(answer.error ?? "the master refused") }
        return reply
    }

    static func table(_ entries: [DeadLetterEntry], store: String) -> String {
        guard !entries.isEmpty else { return "no dead letters (\(store))\n" }
        var lines = ["KEY\tKIND\tATTEMPTS\tAT\tLAST ERROR"]
        for entry in entries {
            let error = entry.lastError.count > 80 ? String(entry.lastError.prefix(77)) + "..." : entry.lastError
            lines.append("\(entry.key)\t\(entry.kind)\t\(entry.attempts)\t\(timestamp(entry.atMs))\t\(error)")
        }
        return lines.joined(separator: "\n") + "\n\(entries.count) dead letter(s) (\(store))\n"
    }

    static func details(_ entry: DeadLetterEntry) -> String {
        var lines = [
            "key:        \(entry.key)", "chat:       \(entry.chat)", "kind:       \(entry.kind)",
            "updates:    \(entry.updateIDs.map(String.init).joined(separator: ", "))", "attempts:   \(entry.attempts)",
            "at:         \(timestamp(entry.atMs))", "last error: \(entry.lastError)",
        ]
        if !entry.texts.isEmpty {
            lines.append("messages:")
            lines += entry.texts.map { "  " + $0.replacingOccurrences(of: "\n", with: "\n  ") }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func timestamp(_ milliseconds: Int64) -> String {
        Date(timeIntervalSince1970: Double(milliseconds) / 1000).formatted(.iso8601)
    }
}
