import Glibc

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why the CLI could not get an answer from a master.
public enum ControlClientError: Error, Sendable, CustomStringConvertible {
    /// No socket, or nobody listening on it.
    case noMasterRunning(socketPath: String)
    /// The socket (or its directory) belongs to another user.
    case permissionDenied(socketPath: String)
    /// The master did not answer in time.
    case timedOut
    /// The connection broke or the answer was not a response.
    case broken(String)

    public var description: String {
        switch self {
        case .noMasterRunning(let path): "no master is running (nothing listens on \(path))"
        case .permissionDenied(let path):
            "permission denied: \(path) belongs to \(Self.owner(of: path)); run botmaster as that user (or with sudo)"
        case .timedOut: "the master did not answer in time"
        case .broken(let reason): "lost the connection to the master: \(reason)"
        }
    }
}

extension ControlClientError {
    /// The user owning the socket's directory (the master's home), by name when it has one.
    static func owner(of socketPath: String) -> String {
        let directory = String(socketPath[..<(socketPath.lastIndex(of: "/") ?? socketPath.endIndex)])
        var info = stat()
        guard stat(directory.isEmpty ? "." : directory, &info) == 0 else { return "another user" }
        if let entry = getpwuid(info.st_uid), let name = entry.pointee.pw_name { return "user \(String(cString: name))" }
        return "uid \(info.st_uid)"
    }
}

/// Sends one request to the master over the run directory's Unix socket and reads the answer.
/// Blocking and thread-free on purpose: the CLI has nothing else to do meanwhile.
public struct ControlClient: Sendable {
    /// The socket's path, `run/control.sock` in the home.
    public var socketPath: String
    /// How long to wait for the answer.
    public var timeout: Duration

    public init(socketPath: String, timeout: Duration = .seconds(10)) {
        self.socketPath = socketPath
        self.timeout = timeout
    }

    /// Sends `request` and returns the master's response.
    public func send(_ request: ControlRequest) throws(ControlClientError) -> ControlResponse {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .broken("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw .broken("socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            throw errno == EACCES || errno == EPERM ? .permissionDenied(socketPath: socketPath) : .noMasterRunning(socketPath: socketPath)
        }
        var limit = timeval(
            tv_sec: Int(timeout.components.seconds),
            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))

        let encoder = JSONEncoder()
        var line: [UInt8]
        do { line = Array(try encoder.encode(request)) } catch { throw .broken("cannot encode the request") }
        line.append(0x0A)
        var offset = 0
        while offset < line.count {
            let written = line.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw errno == EAGAIN ? .timedOut : .broken(String(cString: strerror(errno)))
            }
            offset += written
        }

        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while !answer.contains(0x0A) {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                answer.append(contentsOf: chunk[0..<count])
            } else if count == 0 {
                break
            } else if errno == EINTR {
                continue
            } else {
                throw errno == EAGAIN ? .timedOut : .broken(String(cString: strerror(errno)))
            }
        }
        guard let end = answer.firstIndex(of: 0x0A) else { throw .broken("the master closed the connection without answering") }
        do {
            return try JSONDecoder().decode(ControlResponse.self, from: Data(answer[..<end]))
        } catch {
            throw .broken("the answer was not a control response")
        }
    }
}
