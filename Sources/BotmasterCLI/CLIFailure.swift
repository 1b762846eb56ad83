import ArgumentParser
import BotmasterSystem
import Glibc

/// A one-line error for the operator, then a non-zero exit.
struct CLIFailure: Error, CustomStringConvertible {
    var description: String
    var exitCode: Int32 = 1

    init(_ description: String, exitCode: Int32 = 1) {
        self.description = description
        self.exitCode = exitCode
    }
}

extension CLIFailure {
    /// Prints the message as `botmaster: …` on stderr and exits.
    func exit() -> Never {
        Terminal.printError(description)
        Glibc.exit(exitCode)
    }
}

/// Output helpers.
enum Terminal {
    static func printError(_ message: String) {
        try? FileSystem.writeAll(STDERR_FILENO, Array("botmaster: \(message)\n".utf8))
    }

    static func write(_ text: String) {
        try? FileSystem.writeAll(STDOUT_FILENO, Array(text.utf8))
    }

    static var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }
}
