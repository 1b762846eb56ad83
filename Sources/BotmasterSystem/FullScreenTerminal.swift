import CBotmasterShims
import Glibc

/// The terminal taken over for a live view (`botmaster top`): the alternate screen, no cursor,
/// keys read one at a time without echo. ``restore()`` (also run on SIGTERM and SIGHUP) gives
/// the shell back its screen and line editing as they were.
public final class FullScreenTerminal {
    /// The input settings to put back; `nil` when input is not a terminal.
    private let savedInput: termios?

    /// Takes over the terminal, or returns `nil` when standard output is not one.
    public init?() {
        guard isatty(STDOUT_FILENO) == 1 else { return nil }
        var settings = termios()
        if isatty(STDIN_FILENO) == 1, tcgetattr(STDIN_FILENO, &settings) == 0 {
            savedInput = settings
            var raw = settings
            // No line buffering, no echo, and Ctrl-C as a key (quit) rather than a signal, so
            // the screen is always restored on the way out.
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            raw.c_cc.6 = 0  // VMIN
            raw.c_cc.5 = 0  // VTIME
            tcsetattr(STDIN_FILENO, TCSANOW, &raw)
        } else {
            savedInput = nil
        }
        FullScreenTerminal.inputToRestore = savedInput
        signal(SIGTERM, FullScreenTerminal.restoreAndExit)
        signal(SIGHUP, FullScreenTerminal.restoreAndExit)
        Self.write("\u{1B}[?1049h\u{1B}[?25l")
    }

    /// Rows and columns, or 24 × 80 when the size cannot be read.
    public var size: (rows: Int, columns: Int) {
        var rows: UInt16 = 0
        var columns: UInt16 = 0
        guard cbm_terminal_size(STDOUT_FILENO, &rows, &columns) == 0, rows > 0, columns > 0 else { return (24, 80) }
        return (Int(rows), Int(columns))
    }

    /// Replaces the screen with `lines` in one write, so it never flickers half drawn.
    public func draw(_ lines: [String]) {
        var frame = "\u{1B}[H"
        for line in lines { frame += line + "\u{1B}[K\n" }
        frame += "\u{1B}[J"
        Self.write(frame)
    }

    /// Waits up to `timeout` for a key; the key's byte, or `nil` when none came (or input is
    /// not a terminal, when it just waits).
    public func key(within timeout: Duration) -> UInt8? {
        var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
        let watched: nfds_t = savedInput == nil ? 0 : 1
        guard poll(&descriptor, watched, Int32(clamping: timeout.millisecondsClamped)) > 0 else { return nil }
        var byte: UInt8 = 0
        return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
    }

    /// Gives the terminal back: the normal screen, the cursor, line editing and echo.
    public func restore() {
        Self.restoreTerminal()
        signal(SIGTERM, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }

    private static func write(_ text: String) {
        try? FileSystem.writeAll(STDOUT_FILENO, Array(text.utf8))
    }

    // What a signal handler needs: it cannot capture, so the settings live in a static. Set
    // once before the handlers are installed and only read after.
    nonisolated(unsafe) private static var inputToRestore: termios?

    private static func restoreTerminal() {
        if var input = inputToRestore { tcsetattr(STDIN_FILENO, TCSANOW, &input) }
        write("\u{1B}[?25h\u{1B}[?1049l")
    }

    private static let restoreAndExit: @convention(c) (Int32) -> Void = { signal in
        restoreTerminal()
        _exit(128 + signal)
    }
}
