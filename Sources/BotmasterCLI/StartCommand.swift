import ArgumentParser
import BotmasterConfig
import BotmasterSystem

/// `botmaster start`: validate the fleet, then run the master (in the background by default).
struct StartCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "start",
        abstract: "Start the master and the fleet.",
        discussion: "By default the master runs in the background and this command returns once every enabled bot is running.")

    @OptionGroup var homeOptions: HomeOptions

    @Flag(name: .long, help: "Stay attached: log to stderr too, stop on SIGTERM/SIGINT (systemd, containers, tests).")
    var foreground = false

    @Flag(name: .long, help: .hidden)
    var daemonized = false

    @Option(name: .long, help: "Seconds to wait for the fleet to come up before returning (background start).")
    var wait: Int?

    func run() async throws {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
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
