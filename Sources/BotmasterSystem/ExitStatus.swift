import Glibc

/// How a child process ended, decoded from `waitpid`'s status.
public enum ExitStatus: Sendable, Equatable, CustomStringConvertible {
    /// It called `exit` with this code.
    case exited(code: Int32)
    /// A signal ended it.
    case signaled(signal: Int32, coreDumped: Bool)

    /// Decodes a raw `waitpid` status word.
    public init(rawWaitStatus status: Int32) {
        // The W* macros are not imported into Swift; this is their glibc definition.
        let termSignal = status & 0x7f
        if termSignal == 0 {
            self = .exited(code: (status >> 8) & 0xff)
        } else {
            self = .signaled(signal: termSignal, coreDumped: status & 0x80 != 0)
        }
    }

    /// Whether the process ended on its own with status 0.
    public var isSuccess: Bool { self == .exited(code: 0) }

    public var description: String {
        switch self {
        case .exited(let code): "exit \(code)"
        case .signaled(let signal, let core): "signal \(signal) (\(Signal.name(of: signal)))" + (core ? ", core dumped" : "")
        }
    }
}

/// Signal names for messages.
public enum Signal {
    /// `SIGKILL`, `SIGTERM` … for the usual signals, `SIG<n>` otherwise.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGHUP: "SIGHUP"
        case SIGINT: "SIGINT"
        case SIGQUIT: "SIGQUIT"
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGUSR1: "SIGUSR1"
        case SIGSEGV: "SIGSEGV"
        case SIGUSR2: "SIGUSR2"
        case SIGPIPE: "SIGPIPE"
        case SIGALRM: "SIGALRM"
        case SIGTERM: "SIGTERM"
        default: "SIG\(signal)"
        }
    }
}
