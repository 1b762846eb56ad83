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

    /// Prints the last `count` lines, then (with `follow`) every line written after them. The
    /// file stays open: when it is rotated (renamed to `x.log.1` and a new `x.log` made), what
    /// was written to the old file before the rename is read from the open descriptor first,
    /// then the new file from its start, so no line is lost at a rotation.
    func printTail(lines count: Int, follow: Bool) {
        var file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return }
        defer { close(file) }
        Terminal.write(String(decoding: Self.lastLines(of: Self.readToEnd(file), count: count), as: UTF8.self))
        guard follow else { return }
        while true {
            usleep(200_000)
            Self.printNew(file)
            guard let current = Self.fileIdentity(path), current != Self.fileIdentity(file) else { continue }
            // Rotated (or replaced): the old file may have had a last write since the read above.
            Self.printNew(file)
            let next = open(path, O_RDONLY | O_CLOEXEC)
            guard next >= 0 else { continue }
            close(file)
            file = next
            Self.printNew(file)
        }
    }

    /// Prints what was appended to `file` since the last read; starts over when it was truncated.
    private static func printNew(_ file: Int32) {
        var info = stat()
        if fstat(file, &info) == 0, info.st_size < lseek(file, 0, SEEK_CUR) { lseek(file, 0, SEEK_SET) }
        let data = readToEnd(file)
        if !data.isEmpty { Terminal.write(String(decoding: data, as: UTF8.self)) }
    }

    /// Reads from `file`'s offset to its end.
    private static func readToEnd(_ file: Int32) -> [UInt8] {
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(file, $0.baseAddress, $0.count) }
            if count > 0 {
                data.append(contentsOf: chunk[..<count])
            } else if count == -1 && errno == EINTR {
                continue
            } else {
                return data
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

    /// The device and inode a path names now, or `nil` when there is no file.
    private static func fileIdentity(_ path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// The device and inode of an open file.
    private static func fileIdentity(_ file: Int32) -> [UInt64]? {
        var info = stat()
        guard fstat(file, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
