import ArgumentParser
import BotmasterControl

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botmaster describe <id> [--json]`: one bot in full, as `kubectl describe` or `pm2 describe`
/// show one process.
struct DescribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Show one bot: state, CPU and memory, counters, every setting with its source, restarts, log files.")

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot id.")
    var id: String

    @Flag(name: .long, help: "Print the description as JSON (the shape of GET /api/workers/<id>).")
    var json = false

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let response = try context.request(ControlRequest(command: "describe", id: id))
            guard let description = response.description else { throw CLIFailure("the master sent no description") }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                guard let data = try? encoder.encode(description) else { throw CLIFailure("cannot encode the description") }
                Terminal.write(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                Terminal.write(DescribeReport.render(description))
            }
        } catch {
            error.exit()
        }
    }
}
