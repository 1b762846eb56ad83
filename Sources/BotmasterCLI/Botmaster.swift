import ArgumentParser

/// `botmaster`: supervises a fleet of chat bots, one process per bot.
public struct Botmaster: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "botmaster",
        abstract: "Supervise a fleet of chat bots, one isolated process per bot.",
        discussion: """
            The home directory (--home, BOTMASTER_HOME, or the current directory) holds workers/ \
            (one <id>.toml per bot), logs/ and run/. Two homes never touch each other.
            """,
        version: "0.1.0",
        subcommands: [
            StartCommand.self, StopCommand.self, RestartCommand.self, ReloadCommand.self, StatusCommand.self,
            DescribeCommand.self, TopCommand.self, LogsCommand.self, CheckCommand.self, DeadLetterCommand.self, BroadcastCommand.self,
            AddCommand.self,
            EditCommand.self,
            RemoveCommand.self, EnableCommand.self, DisableCommand.self,
        ]
    )

    public init() {}
}

/// The `--home` option every command takes.
struct HomeOptions: ParsableArguments {
    @Option(name: .long, help: "The fleet's home directory (default: $BOTMASTER_HOME, else the current directory).")
    var home: String?
}
