import Glibc

/// One log file read as `tail -F` reads it. The file stays open: when it is rotated (renamed
/// to `x.log.1` and a new `x.log` made), what was written to the old file before the rename is
/// read from the open descriptor first, then the new file from its start, so no line is lost
/// at a rotation.
public final class LogTail {
    public let path: String
    private var file: Int32

    /// Opens `path`, or returns `nil` when it cannot be read.
    public init?(path: String) {
        let file = open(path, O_RDONLY | O_CLOEXEC)
        guard file >= 0 else { return nil }
        self.path = path
        self.file = file
    }

    deinit { close(file) }

    /// The last `count` lines, read backwards from the end in blocks so a long log is not read
    /// whole; later reads continue from the end.
    public func readLast(lines count: Int) -> ArraySlice<UInt8> {
        let size = lseek(file, 0, SEEK_END)
        guard count > 0, size > 0 else { return [] }
        var start = size
        var data: [UInt8] = []
        while start > 0 {
            let step = min(64 * 1024, start)
            start -= step
            var block = [UInt8](repeating: 0, count: Int(step))
            let got = block.withUnsafeMutableBytes { pread(file, $0.baseAddress, Int(step), start) }
            guard got == step else { break }
            data = block + data
            // One newline more than asked for: the line before the first one shown is complete.
            if data.lazy.filter({ $0 == 0x0A }).count > count { break }
        }
        return Self.lastLines(of: data, count: count)
    }

    /// What was appended since the last read, across a rotation; starts over when the file
    /// was truncated.
    public func readNew() -> [UInt8] {
        var data = readAppended()
        guard let current = Self.identity(path: path), current != Self.identity(file: file) else { return data }
        // Rotated (or replaced): the old file may have had a last write since the read above.
        data += readAppended()
        let next = open(path, O_RDONLY | O_CLOEXEC)
        guard next >= 0 else { return data }
        close(file)
        file = next
        return data + readAppended()
    }

    private func readAppended() -> [UInt8] {
        var info = stat()
        if fstat(file, &info) == 0, info.st_size < lseek(file, 0, SEEK_CUR) { lseek(file, 0, SEEK_SET) }
        return Self.readToEnd(file)
    }

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
    public static func lastLines(of bytes: [UInt8], count: Int) -> ArraySlice<UInt8> {
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
    private static func identity(path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }

    /// The device and inode of an open file.
    private static func identity(file: Int32) -> [UInt64]? {
        var info = stat()
        guard fstat(file, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}
