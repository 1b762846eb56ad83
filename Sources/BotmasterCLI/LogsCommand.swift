import ArgumentParser
import BotmasterConfig
import BotmasterSystem
import Glibc

/// `botmaster logs [<id>] [-f] [-n N]`: the master's log or one worker's.
struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logs",
        abstract: "Print the master's log, or one worker's with its id; -f follows it like tail -f.")

    @OptionGroup var homeOptions: HomeOptions

    @Argument(help: "The bot whose log to show; leave out for the master's.")
    var id: String?

    @Flag(name: .shortAndLong, help: "Keep printing lines as they are written (across rotations).")
    var follow = false

    @Option(name: [.customShort("n"), .long], help: "How many of the last lines to print first.")
    var lines: Int = 50

    func validate() throws {
        guard lines >= 0 else { throw ValidationError("-n takes a number of lines ≥ 0") }
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
        } else {
            path = context.layout.masterLog
            if !FileSystem.exists(path) { CLIFailure("no master log yet (\(path))").exit() }
        }
        LogFollower(path: path).printTail(lines: lines, follow: follow)
    }
}

/// `tail -n` and `tail -F` for one log file.
struct LogFollower {
    let path: String

    func printTail(lines count: Int, follow: Bool) {
        let bytes = FileSystem.readFile(path) ?? []
        var offset = bytes.count
        Terminal.write(String(decoding: Self.lastLines(of: bytes, count: count), as: UTF8.self))
        guard follow else { return }
        var identity = Self.fileIdentity(path)
        while true {
            usleep(200_000)
            let current = Self.fileIdentity(path)
            if current != identity {
                // Rotated: the old file became x.log.1; read the new one from its start.
                identity = current
                offset = 0
            }
            guard let size = FileSystem.fileSize(path) else { continue }
            if Int(size) < offset { offset = 0 }  // truncated
            if Int(size) > offset, let data = FileSystem.readFile(path, from: offset) {
                Terminal.write(String(decoding: data, as: UTF8.self))
                offset += data.count
            }
        }
    }

    /// The last `count` lines of `bytes`.
    static func lastLines(of bytes: [UInt8], count: Int) -> ArraySlice<UInt8> {
        guard count > 0 else { return [] }
        var seen = 0
        var index = bytes.endIndex
        if index > bytes.startIndex && bytes[index - 1] == 0x0A { index -= 1 }
        while index > bytes.startIndex {
            if bytes[index - 1] == 0x0A {
                seen += 1
                if seen == count { return bytes[index...] }
            }
            index -= 1
        }
        return bytes[...]
    }

    private static func fileIdentity(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_ino)
    }
}
