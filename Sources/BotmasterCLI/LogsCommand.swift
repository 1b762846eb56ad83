import ArgumentParser
import BotmasterConfig
import BotmasterSystem
import Glibc

/// `botmaster logs [<id>] [--master] [-f] [-n N]`: every log interleaved, the master's, or
/// one worker's.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the logs of the master and every bot interleaved (like pm2 logs), or one bot's, or --master; -f follows.")

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot whose log to show; leave out for all of them.")
    var id: String?

    @Flag(name: .long, help: "Only the master's log.")
    var master = false

    @Flag(name: .shortAndLong, help: "Keep printing lines as they are written (across rotations).")
    var follow = false

    @Option(name: [.customShort("n"), .long], help: "How many of the last lines to print first.")
    var lines: Int = 50

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("-n takes a number of lines ≥ 0") }
        if master && id != nil { throw ValidationError("--master shows the master's log; leave out the bot id") }
    }

    func run() throws {
        let context = FleetContext(options: homeOptions)
        let path: String
        if let id {
            guard WorkerDefinition.isValidID(id) else { CLIFailure("\"\(id)\" is not a bot id").exit() }
            path = context.layout.workerLog(id)
            if !FileSystem.exists(path) {
                let known = (FileSystem.directoryEntries(context.layout.workersDirectory) ?? []).contains("\(id).toml")
                CLIFailure(known ? "bot \(id) has no log yet (\(path))" : "unknown bot id \"\(id)\"").exit()
            }
        } else if master {
            path = context.layout.masterLog
            if !FileSystem.exists(path) { CLIFailure("no master log yet (\(path))").exit() }
        } else {
            if !FileSystem.exists(context.layout.logsDirectory) { CLIFailure("no logs yet (\(context.layout.logsDirectory))").exit() }
            InterleavedLogs(layout: context.layout, colored: Terminal.standardOutputIsTerminal).printTail(lines: lines, follow: follow)
            return
        }
        LogFollower(path: path).printTail(lines: lines, follow: follow)
    }
}

/// `tail -n` and `tail -F` for one log file.
struct LogFollower {
    let path: String

    /// Prints the last `count` lines, then (with `follow`) every line written after them,
    /// across rotations.
    func printTail(lines count: Int, follow: Bool) {
        guard let tail = LogTail(path: path) else { return }
        Terminal.write(String(decoding: tail.readLast(lines: count), as: UTF8.self))
        guard follow else { return }
        while true {
            usleep(200_000)
            let data = tail.readNew()
            if !data.isEmpty { Terminal.write(String(decoding: data, as: UTF8.self)) }
        }
    }
}
