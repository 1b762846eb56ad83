import ArgumentParser
import BotmasterControl
import BotmasterIPC

/// `botmaster enable <id>`: `enabled = true` in the bot's file, and its worker started.
struct EnableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "enable",
        abstract: "Enable a bot: `enabled = true` in workers/<id>.toml, and its worker started.",
        discussion: "Returns once the bot's worker runs, or fails with the reason it did not.")

    @OptionGroup var switchOptions: BotSwitchOptions

    func run() throws { switchOptions.set(enabled: true) }
}

/// `botmaster disable <id>`: the bot stays in the fleet, shown as `disabled`, and runs nothing
/// until enabled, across restarts of the master.
struct DisableCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disable",
        abstract: "Disable a bot: `enabled = false` in workers/<id>.toml; its worker drains and stops.",
        discussion:
            "The bot stays in status as `disabled` and is not started again, even by a restart of the master, until `botmaster enable <id>`."
    )

    @OptionGroup var switchOptions: BotSwitchOptions

    func run() throws { switchOptions.set(enabled: false) }
}

/// What `enable` and `disable` take, and what they do: `enabled` through the fleet API (so the
/// file is written atomically and the change applied at once), then a wait for the worker.
struct BotSwitchOptions: ParsableArguments {
    @OptionGroup var homeOptions: HomeOptions
    @Argument(help: "The bot's id.") var id: String
    @Option(name: .long, help: "Seconds to wait for the worker to start or stop (default: its stop and start timeouts plus 15).")
    var wait: Int?

    func set(enabled: Bool) {
        let context = FleetContext(options: homeOptions)
        do throws(CLIFailure) {
            try context.request(ControlRequest(command: "bot-patch", id: id, document: ["enabled": .bool(enabled)]))
            let waiter = BotWaiter(context: context, id: id, waitSeconds: wait)
            if enabled {
                let row = try waiter.untilRunning(replacing: nil)
                Terminal.write("enabled \(id) (pid \(row.pid.map(String.init) ?? "?"))\n")
            } else {
                _ = try waiter.untilStopped()
                Terminal.write("disabled \(id)\n")
            }
        } catch {
            error.exit()
        }
    }
}
