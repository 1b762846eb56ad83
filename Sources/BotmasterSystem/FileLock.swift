import Glibc

/// An exclusive `flock` on a file, taken without waiting and held until ``release()`` or the
/// process's end (the kernel drops it however the process dies, so a stale lock file never
/// blocks a successor).
public final class FileLock: Sendable {
    private let fd: Int32
    public let path: String

    /// Takes the lock; `nil` when another process holds it.
    public init?(path: String) throws(SystemError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw SystemError(call: "open", subject: path, code: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw SystemError(call: "flock", subject: path, code: code)
        }
        self.fd = fd
        self.path = path
    }

    /// Drops the lock.
    public func release() {
        close(fd)
    }
}
