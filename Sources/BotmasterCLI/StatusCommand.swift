import ArgumentParser
import BotmasterControl
import BotmasterSystem

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

    @Flag(
        name: .long,
        help: "Cluster mode: the members, the bots each owns with their epochs, the bots waiting for an owner (GET /api/cluster/status).")
    var cluster = false

    func run() throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            let status = try context.fetchStatus()
            if cluster {
                guard let view = status.master.cluster else {
                    throw CLIFailure("cluster mode is off on this master (BOTMASTER_CLUSTER=1 turns it on)")
                }
                if json {
                    try Self.printJSON(view)
                } else {
                    Terminal.write(ClusterTable.render(view, nowMs: WallClock.nowMilliseconds()))
                }
            } else if json {
                try Self.printJSON(status)
            } else {
                Terminal.write(StatusTable.render(status))
            }
        } catch {
            error.exit()
        }
    }

    /// Pretty, sorted JSON on standard output.
    static func printJSON(_ value: some Encodable) throws(CLIFailure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let data = try? encoder.encode(value) else { throw CLIFailure("cannot encode the status") }
        Terminal.write(String(decoding: data, as: UTF8.self) + "\n")
    }
}
