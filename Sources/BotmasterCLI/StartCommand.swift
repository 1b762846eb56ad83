import ArgumentParser
import BotmasterConfig
import BotmasterControl
import BotmasterSystem

/// `botmaster start`: validate the fleet, then run the master (in the background by default).
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the master and the fleet (no id), or one stopped bot of a running master (with its id).",
        discussion: """
            By default the master runs in the background and this command returns once every enabled             bot is running. With an id, it returns once that bot's worker runs, or fails with the reason             it did not; an errored bot gets a fresh restart allowance.
            """)

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "A bot of the running master to start; leave out to start the master.")
    var id: String?

    @Flag(name: .long, help: "Stay attached: log to stderr too, stop on SIGTERM/SIGINT (systemd, containers, tests).")
    var foreground = false

    @Flag(name: .long, help: .hidden)
    var daemonized = false

    @Option(name: .long, help: "Seconds to wait for the fleet (background start), or the bot, to come up before returning.")
    var wait: Int?

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            if let id {
                let waiter = BotWaiter(context: context, id: id, waitSeconds: wait)
                let before = try waiter.row()
                if before?.state == "running" {
                    Terminal.write("\(id) is running already (pid \(before?.pid.map(String.init) ?? "?"))\n")
                    return
                }
                try context.request(.startBot(id))
                let row = try waiter.untilRunning(replacing: before?.pid)
                Terminal.write("started \(id) (pid \(row.pid.map(String.init) ?? "?"))\n")
                return
            }
            let (settings, fleet) = try context.loadOrFail()
            if let pid = context.runningMaster {
                throw CLIFailure("a master is already running in \(context.layout.home) (pid \(pid))")
            }
            if foreground {
                try await MasterRunner(context: context, settings: settings, fleet: fleet, echoLogs: !daemonized).run()
            } else {
                try Daemonizer(context: context, fleet: fleet, waitSeconds: wait).start()
            }
        } catch {
            error.exit()
        }
    }
}
