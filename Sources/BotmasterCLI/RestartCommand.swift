import ArgumentParser
import BotmasterControl

/// `botmaster restart [<id>]`: the whole master, or one worker.
struct RestartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restart",
        abstract: "Restart the master (no id) or one worker (with its id).",
        discussion: """
            Restarting one worker drains it and starts it again with a fresh restart allowance; it also             brings an errored bot back. The command returns once the new worker runs, or fails with the             reason it did not (--no-wait returns at once).
            """)

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot to restart; leave out to restart the whole master.")
    var id: String?

    @Option(
        name: .long,
        help:
            "Seconds to wait for the old master to stop and the fleet to come up, or for the bot to run again (default: its stop and start timeouts plus 15)."
    )
    var wait: Int?

    @Flag(name: .long, help: "Return once the master has the request, without waiting for the bot to run again.")
    var noWait = false

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
        let waiter = BotWaiter(context: context, id: id, waitSeconds: wait)
        let before = try waiter.row()
        let answer = try context.request(.restart(id))
        guard !noWait else {
            Terminal.write((answer.message ?? "restarting \(id)") + "\n")
            return
        }
        let row = try waiter.untilRunning(replacing: before?.pid)
        Terminal.write("restarted \(id) (pid \(row.pid.map(String.init) ?? "?"))\n")
    }
}
