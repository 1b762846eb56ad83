import ArgumentParser
import BotmasterControl

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `botmaster status [--json]`: the fleet at a glance.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every worker: pid, state, uptime, restarts, memory, counters, last heartbeat.")

    @OptionGroup var homeOptions: HomeOptions

    @Flag(name: .long, help: "Print the status document as JSON (the shape of GET /api/workers/status).")
    var json = false

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let status = try context.fetchStatus()
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                guard let data = try? encoder.encode(status) else { throw CLIFailure("cannot encode the status") }
                Terminal.write(String(decoding: data, as: UTF8.self) + "\n")
            } else {
                Terminal.write(StatusTable.render(status))
            }
        } catch {
            error.exit()
        }
    }
}
