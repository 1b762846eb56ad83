import Glibc

/// Why a configuration file (or a token file) could not be read.
public enum BoundedReadProblem: Error, Equatable, CustomStringConvertible {
    /// `open` failed with this errno.
    case cannotOpen(Int32)
    /// Not a regular file: a device, a FIFO, a socket or a directory (named).
    case notRegularFile(String)
    /// Larger than the limit, in bytes.
    case tooLarge(limit: Int)
    /// `read` failed with this errno.
    case readFailed(Int32)

    public var description: String {
        switch self {
        case .cannotOpen(let code): "cannot open the file: \(String(cString: strerror(code)))"
        case .notRegularFile(let kind): "is not a regular file but \(kind)"
        case .tooLarge(let limit): "is larger than \(limit / 1024) KB"
        case .readFailed(let code): "cannot read the file: \(String(cString: strerror(code)))"
        }
    }
}

extension FileSystem {
    /// Reads a regular file of at most `maximumBytes`, without blocking and without following
    /// it into a device: the open is non-blocking (a FIFO cannot hang the caller), anything but
    /// a regular file is refused before a byte is read (`/dev/zero` cannot grow the caller), and
    /// reading stops one byte past the limit (a file that grows while read is still bounded).
    public static func readRegularFile(_ path: String, maximumBytes: Int) throws(BoundedReadProblem) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotOpen(errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw .readFailed(errno) }
        let kind = info.st_mode & S_IFMT
        guard kind == S_IFREG else { throw .notRegularFile(Self.describeKind(kind)) }
        guard Int(info.st_size) <= maximumBytes else { throw .tooLarge(limit: maximumBytes) }
        let bytes: [UInt8]
        do { bytes = try readToEnd(fd, stoppingPast: maximumBytes) } catch { throw .readFailed(error.code) }
        guard bytes.count <= maximumBytes else { throw .tooLarge(limit: maximumBytes) }
        return bytes
    }

    private static func describeKind(_ kind: mode_t) -> String {
        switch kind {
        case S_IFDIR: "a directory"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        default: "a special file"
        }
    }
}
