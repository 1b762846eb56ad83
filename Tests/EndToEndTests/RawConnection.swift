import BotmasterSystem
import Glibc

/// A TCP connection to a loopback port from a chosen loopback source address, for tests that
/// behave like bad clients: hold a connection open, trickle bytes, or check that the server
/// closed it.
final class RawConnection {
    let fd: Int32

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Connects to `127.0.0.1:port` from `source` (any 127.x.y.z address works on Linux).
    init(port: Int, source: String = "127.0.0.1") throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        // No close here: the object is fully initialized, so throwing runs deinit, which
        // closes `fd`. A second close would close whatever descriptor the test process opened
        // under that number meanwhile (a concurrent test's output file, say).
        guard bound == 0, connected == 0 else { throw Failure(description: "cannot connect to port \(port) from \(source)") }
    }

    deinit { close(fd) }

    /// Sends `text`; false once the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// Whether the server closed the connection (end of file or a reset) within `timeout`,
    /// reading and discarding whatever it sent before. Waits with `Task.sleep`, not in `poll`:
    /// the tests share a two-thread pool, and a thread blocked for seconds stalls other tests.
    func isClosed(within timeout: Duration) async -> Bool {
        await read(within: timeout, waiting: { try? await Task.sleep(for: .milliseconds(10)) }).closed
    }

    /// Everything the server sent until it closed the connection or `timeout` passed.
    func readAll(within timeout: Duration) async -> String {
        String(decoding: await read(within: timeout, waiting: { try? await Task.sleep(for: .milliseconds(10)) }).bytes, as: UTF8.self)
    }

    /// What the server sent until it closed the connection (`closed`) or `timeout` passed,
    /// blocking: for answers that come at once.
    func read(within timeout: Duration) -> (bytes: [UInt8], closed: Bool) {
        let deadline = MonotonicTime.now() + timeout
        var answer: [UInt8] = []
        while MonotonicTime.now() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let remaining = Int32(max((deadline - MonotonicTime.now()).millisecondsClamped, 1))
            guard poll(&poller, 1, remaining) > 0 else { continue }
            if receive(into: &answer) { return (answer, true) }
        }
        return (answer, false)
    }

    private func read(within timeout: Duration, waiting: () async -> Void) async -> (bytes: [UInt8], closed: Bool) {
        let deadline = MonotonicTime.now() + timeout
        var answer: [UInt8] = []
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 0) > 0 {
                if receive(into: &answer) { return (answer, true) }
                continue
            }
            // Looked once more after the deadline: a wait that overslept it on a busy pool
            // must not miss what arrived meanwhile.
            guard MonotonicTime.now() < deadline else { return (answer, false) }
            await waiting()
        }
    }

    /// Appends what is there to read; true once the server closed the connection.
    private func receive(into answer: inout [UInt8]) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count > 0 {
            answer.append(contentsOf: buffer[0..<count])
            return false
        }
        return count == 0 || (errno != EAGAIN && errno != EINTR)
    }
}

/// Open descriptors of a process, from `/proc/<pid>/fd`.
func openDescriptorCount(of pid: pid_t) -> Int {
    FileSystem.directoryEntries("/proc/\(pid)/fd")?.count ?? -1
}
