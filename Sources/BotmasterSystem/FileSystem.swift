import Glibc

/// The few file operations the master needs, on plain paths, without Foundation.
public enum FileSystem {
    /// The whole file from `offset` on, or `nil` when it cannot be opened or read.
    public static func readFile(_ path: String, from offset: Int = 0) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if offset > 0 && lseek(fd, off_t(offset), SEEK_SET) < 0 { return nil }
        return try? readToEnd(fd, stoppingPast: .max)
    }

    /// Reads `fd` to its end, or until more than `limit` bytes came (the caller tells which by
    /// the count). Throws the `errno` of a failed read.
    static func readToEnd(_ fd: Int32, stoppingPast limit: Int) throws(SystemError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while result.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                result.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                return result
            } else if errno != EINTR {
                throw SystemError(call: "read", subject: "", code: errno)
            }
        }
        return result
    }

    /// Writes the file through a temporary name and a rename, so a reader (or a master that
    /// crashes halfway) never sees half a file.
    public static func writeFileAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
        let temporary = "\(path).tmp.\(getpid())"
        let fd = try retryingOnInterrupt("open", temporary) { open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        do {
            try writeAll(fd, bytes, subject: temporary)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        close(fd)
        _ = try retryingOnInterrupt("rename", path) { Glibc.rename(temporary, path) }
    }

    /// Replaces a small file's contents in place with one `write`. Cheaper than
    /// ``writeFileAtomically(_:_:mode:)`` (no new inode each time, which on ext4 is what costs),
    /// and as safe for contents under a page: a process that dies cannot leave half a write.
    public static func writeSmallFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws(SystemError) {
        let fd = try retryingOnInterrupt("open", path) { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        defer { close(fd) }
        try writeAll(fd, bytes, subject: path)
    }

    /// Writes every byte, retrying short writes and `EINTR`.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8], subject: String = "") throws(SystemError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                let code = errno
                if code == EINTR { continue }
                throw SystemError(call: "write", subject: subject, code: code)
            }
            offset += written
        }
    }

    /// Removes a file; a file that is not there is not an error.
    public static func removeFile(_ path: String) {
        _ = unlink(path)
    }

    /// Creates a directory and its missing parents.
    public static func createDirectory(_ path: String, mode: mode_t = 0o755) throws(SystemError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, mode) == -1 && errno != EEXIST {
                throw SystemError(call: "mkdir", subject: prefix, code: errno)
            }
            prefix += "/"
        }
    }

    /// The names in a directory (without `.` and `..`), or `nil` when it cannot be opened.
    public static func directoryEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Creates a new, empty directory named `<prefix>XXXXXX` (random) and returns its path.
    public static func makeTemporaryDirectory(prefix: String) throws(SystemError) -> String {
        var template = Array("\(prefix)XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { buffer in mkdtemp(buffer.baseAddress!).map { String(cString: $0) } }
        guard let made else { throw SystemError(call: "mkdtemp", subject: prefix, code: errno) }
        return made
    }

    /// Removes a file, or a directory with everything in it; links are removed, not followed.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for name in directoryEntries(path) ?? [] { removeTree("\(path)/\(name)") }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Size of a file in bytes, or `nil` when it does not exist.
    public static func fileSize(_ path: String) -> Int64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int64(info.st_size)
    }

    /// Whether something exists at the path.
    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// Whether the path names an executable regular file.
    public static func isExecutable(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }

    /// Renames, replacing the destination.
    public static func rename(_ from: String, to: String) throws(SystemError) {
        _ = try retryingOnInterrupt("rename", from) { Glibc.rename(from, to) }
    }

    /// The absolute form of a path, relative to the current directory.
    public static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        let directory = String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if path == "." { return directory }
        return directory + "/" + (path.hasPrefix("./") ? String(path.dropFirst(2)) : path)
    }

    /// The path of the running executable, from `/proc/self/exe`.
    public static func currentExecutablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, Int(PATH_MAX))
        guard count > 0 else { return nil }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
