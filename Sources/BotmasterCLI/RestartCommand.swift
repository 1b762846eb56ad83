import ArgumentParser
import BotmasterControl

/// `botmaster restart [<id>]`: the whole master, or one worker.
struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart the master (no id) or one worker (with its id).",
        discussion:
            "Restarting one worker drains it and starts it again with a fresh restart allowance; it also brings an errored bot back.")

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot to restart; leave out to restart the whole master.")
    var id: String?

    @Option(name: .long, help: "Seconds to wait for the old master to stop and the fleet to come up.")
    var wait: Int?

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            if let id {
                try restartWorker(id, context: context)
            } else {
                let (_, fleet) = try context.loadOrFail()
                if context.runningMaster != nil {
                    try MasterStopper(context: context, waitSeconds: wait).stop()
                }
                try Daemonizer(context: context, fleet: fleet, waitSeconds: wait).start()
            }
        } catch {
            error.exit()
        }
    }

    private func restartWorker(_ id: String, context: FleetContext) throws(CLIFailure) {
        let answer: ControlResponse
        do {
            answer = try context.client.send(.restart(id))
        } catch {
            throw context.unreachable(error)
        }
        guard answer.ok else { throw CLIFailure(answer.error ?? "the master refused") }
        Terminal.write((answer.message ?? "restarting \(id)") + "\n")
    }
}
