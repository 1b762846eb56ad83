import Glibc

/// The command line as the parser wants it. `--home` applies to every command, and operators
/// put it where PM2 and supervisorctl take theirs, before the command (`botmaster --home X
/// status`); the parser reads options per command, so it is moved after the command's name.
/// A first word that names no command is reported as such, rather than as an unknown option.
enum GlobalArguments {
    /// Options every command takes, with a value.
    static let globalOptions: Set<String> = ["--home"]

    enum Outcome: Equatable {
        case arguments([String])
        case unknownCommand(String)
    }

    static func normalize(_ arguments: [String], commands: [String]) -> Outcome {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if globalOptions.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else if let name = argument.split(separator: "=", maxSplits: 1).first, globalOptions.contains(String(name)),
                argument.contains("=")
            {
                leading.append(argument)
                index += 1
            } else {
                break
            }
        }
        guard index < arguments.count else { return .arguments(arguments) }
        let command = arguments[index]
        if command.hasPrefix("-") { return .arguments(arguments) }
        guard commands.contains(command) || command == "help" else { return .unknownCommand(command) }
        return .arguments([command] + leading + arguments[(index + 1)...])
    }
}

extension Botmaster {
    /// Runs the command the command line names, with ``GlobalArguments`` applied.
    public static func main() async {
        let commands = configuration.subcommands.compactMap { $0.configuration.commandName }
        switch GlobalArguments.normalize(Array(CommandLine.arguments.dropFirst()), commands: commands) {
        case .arguments(let arguments):
            await main(arguments)
        case .unknownCommand(let name):
            Terminal.printError("unknown command \"\(name)\" (commands: \(commands.joined(separator: ", ")); see `botmaster --help`)")
            Glibc.exit(64)  // EX_USAGE, as the parser exits on other usage errors
        }
    }
}
