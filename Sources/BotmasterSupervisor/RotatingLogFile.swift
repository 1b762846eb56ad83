import BotmasterSystem
import Glibc
import Synchronization

/// An append-only log file that rotates itself by size: `x.log` → `x.log.1` → … →
/// `x.log.<kept>`, the oldest dropped. Only the master writes the files, so rotation never
/// races a writer holding the old inode (the reason workers' output comes through a pipe
/// rather than being written to the file directly).
public final class RotatingLogFile: Sendable {
    /// The file's path.
    public let path: String
    private let maximumBytes: UInt64
    private let filesKept: Int
    private let state: Mutex<State>

    private struct State {
        var fd: Int32 = -1
        var size: UInt64 = 0
    }

    public init(path: String, maximumBytes: UInt64, filesKept: Int) {
        self.path = path
        self.maximumBytes = maximumBytes
        self.filesKept = max(filesKept, 1)
        self.state = Mutex(State())
    }

    deinit {
        state.withLock { if $0.fd >= 0 { Glibc.close($0.fd) } }
    }

    /// Appends bytes that end in a newline (one or more whole lines). A write error is dropped:
    /// logging must never take the master down, and there is nowhere better to report it.
    public func append(_ bytes: [UInt8]) {
        state.withLock { state in
            if state.fd < 0 { open(&state) }
            if state.size > 0 && state.size + UInt64(bytes.count) > maximumBytes {
                rotate(&state)
            }
            guard state.fd >= 0 else { return }
            try? FileSystem.writeAll(state.fd, bytes, subject: path)
            state.size += UInt64(bytes.count)
        }
    }

    /// Closes the file; the next append opens it again.
    public func close() {
        state.withLock { state in
            if state.fd >= 0 { Glibc.close(state.fd) }
            state.fd = -1
        }
    }

    /// Owner and group may read; others not.
    static let mode: mode_t = 0o640

    private func open(_ state: inout State) {
        state.fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, Self.mode)
        // Logs name bots and chats: not for every user of the host, also for files an older
        // version created 0644.
        if state.fd >= 0 { fchmod(state.fd, Self.mode) }
        state.size = UInt64(max(FileSystem.fileSize(path) ?? 0, 0))
    }

    private func rotate(_ state: inout State) {
        if state.fd >= 0 { Glibc.close(state.fd) }
        FileSystem.removeFile("\(path).\(filesKept)")
        for index in stride(from: filesKept - 1, through: 1, by: -1) {
            try? FileSystem.rename("\(path).\(index)", to: "\(path).\(index + 1)")
        }
        try? FileSystem.rename(path, to: "\(path).1")
        open(&state)
    }
}
