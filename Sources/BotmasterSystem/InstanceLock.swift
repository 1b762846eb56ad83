import Glibc

/// The single-instance lock of a home: an exclusive `flock` on `run/master.lock`, held for the
/// master's whole life. The kernel drops it when the master dies, however it dies, so a stale
/// lock file never blocks the next start.
public final class InstanceLock: Sendable {
    private let fd: Int32
    /// The lock file's path.
    public let path: String

    /// Why the lock could not be taken.
    public enum Failure: Error, Sendable {
        /// Another master holds it; its pid, if the pid file says.
        case heldByAnotherMaster(pid: pid_t?)
        case system(SystemError)
    }

    /// Takes the lock without waiting and writes this process's pid into `pidPath`.
    public init(path: String, pidPath: String) throws(Failure) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .system(SystemError(call: "open", subject: path, code: errno)) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK {
                throw .heldByAnotherMaster(pid: Self.readPID(pidPath))
            }
            throw .system(SystemError(call: "flock", subject: path, code: code))
        }
        do {
            try FileSystem.writeFileAtomically(pidPath, Array("\(getpid())\n".utf8))
        } catch {
            close(fd)
            throw .system(error)
        }
        self.fd = fd
        self.path = path
    }

    /// Whether some process holds the lock at `path` now (without taking it for long).
    public static func isHeld(path: String) -> Bool {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_EX | LOCK_NB) == 0 {
            flock(fd, LOCK_UN)
            return false
        }
        return true
    }

    /// The pid written in a pid file, if it holds one.
    public static func readPID(_ path: String) -> pid_t? {
        guard let bytes = try? FileSystem.readRegularFile(path, maximumBytes: 4096) else { return nil }
        return pid_t(String(decoding: bytes, as: UTF8.self).split(separator: "\n").first ?? "")
    }

    deinit {
        close(fd)
    }
}
