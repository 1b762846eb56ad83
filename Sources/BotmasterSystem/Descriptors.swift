import CBotmasterShims
import Glibc

/// Pipes, socket pairs and descriptor flags.
public enum Descriptors {
    /// A connected pair of stream sockets, both close-on-exec: one end for the master, one for
    /// the worker (which the spawner maps to the worker's fd 3).
    public static func socketPair() throws(SystemError) -> (master: Int32, worker: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingOnInterrupt("socketpair") {
            socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds)
        }
        return (fds[0], fds[1])
    }

    /// A pipe, both ends close-on-exec.
    public static func pipe() throws(SystemError) -> (read: Int32, write: Int32) {
        var fds: [Int32] = [-1, -1]
        _ = try retryingOnInterrupt("pipe2") { cbm_pipe_cloexec(&fds) }
        return (fds[0], fds[1])
    }

    /// Closes a descriptor; errors are ignored because there is nothing useful to do about them
    /// (Linux releases the descriptor even when close reports EINTR).
    public static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }

    /// Opens `/dev/null` for reading and writing, close-on-exec.
    public static func openNull() throws(SystemError) -> Int32 {
        try retryingOnInterrupt("open", "/dev/null") { open("/dev/null", O_RDWR | O_CLOEXEC) }
    }
}
