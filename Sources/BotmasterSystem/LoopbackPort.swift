import Glibc
import Synchronization

public enum LoopbackPort {
    /// Ports this process has handed out already.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port nobody listens on now, for tests and benchmarks that start servers side by side.
    ///
    /// Chosen below the kernel's ephemeral range, so that no outgoing connection is given the
    /// port between now and the server's bind, and never the same twice in one process, so
    /// that two servers started at once do not get the same one: both made "Address already in
    /// use" now and then with the kernel's own choice (a socket bound to port 0), which a
    /// parallel test suite met once in a while.
    public static func free() -> Int {
        let ephemeralStart = ephemeralRangeStart()
        let range = max(1024, ephemeralStart - 12_000)..<ephemeralStart
        for _ in 0..<1000 {
            let port = Int.random(in: range)
            guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
            if isFree(port) { return port }
        }
        return kernelChosen()
    }

    /// The first port of `ip_local_port_range` (32768 unless changed).
    private static func ephemeralRangeStart() -> Int {
        guard let bytes = FileSystem.readFile("/proc/sys/net/ipv4/ip_local_port_range"),
            let first = String(decoding: bytes, as: UTF8.self).split(whereSeparator: { $0 == " " || $0 == "\t" }).first,
            let start = Int(first), start > 2048
        else { return 32768 }
        return start
    }

    /// Whether a socket can bind `port` on loopback now.
    private static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = loopback(port: port)
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        return withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } } == 0
    }

    /// A port the kernel picks for a socket bound to port 0.
    private static func kernelChosen() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}
