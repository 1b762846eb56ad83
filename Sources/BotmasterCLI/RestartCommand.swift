import ArgumentParser
import BotmasterControl
import BotmasterSystem

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

    @Flag(
        name: .long,
        help: "Start the new master with this shell's environment instead of the one the running master started with.")
    var environmentFromShell = false

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            if let id {
                try restartWorker(id, context: context)
            } else {
                let masterContext = try contextOfRunningMaster(context)
                let (_, fleet) = try masterContext.loadOrFail()
                if masterContext.runningMaster != nil {
                    try MasterStopper(context: masterContext, waitSeconds: wait).stop()
                }
                try Daemonizer(context: masterContext, fleet: fleet, waitSeconds: wait).start()
            }
        } catch {
            error.exit()
        }
    }

    /// The home as the running master sees it: a restarted master keeps the environment it was
    /// started with (STATUS_TOKEN, REDIS_URL, the bots' token variables…), not the calling
    /// shell's, which may lack them.
    private func contextOfRunningMaster(_ context: FleetContext) throws(CLIFailure) -> FleetContext {
        guard !environmentFromShell, let pid = context.runningMaster, pid > 0 else { return context }
        guard let environment = ProcFS.environment(of: pid) else {
            throw CLIFailure(
                "cannot read the environment of the running master (pid \(pid)) to start the new one with it; run `botmaster restart --environment-from-shell` as a user that has the master's settings, or stop and start it"
            )
        }
        return context.with(environment: environment)
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
