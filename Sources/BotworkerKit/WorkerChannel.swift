import BotmasterIPC
import Glibc
import Synchronization

/// The worker's end of the IPC channel (fd 3): blocking writes of whole frames, and reads that
/// return whatever frames are complete. One thread reads — the protocol loop, or the payload's
/// once it took the reading over (``ChannelReader``); writes go through ``writer``, which every
/// thread shares.
public struct WorkerChannel: ~Copyable {
    /// The descriptor.
    public let fd: Int32
    /// Writes whole frames, from any thread.
    public let writer: FrameWriter
    /// The master is trusted: its frames may be as long as a broadcast's audience (a million
    /// chat ids is about 15 MB of JSON), while the master bounds what workers send it.
    private var decoder = FrameDecoder(maximumLength: masterFrameLimit)
    /// The longest frame taken from the master.
    static let masterFrameLimit = 64 << 20
    private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)

    public init(fd: Int32) {
        self.fd = fd
        self.writer = FrameWriter(fd: fd)
    }

    /// What a read found.
    public enum ReadResult {
        /// Complete frames, possibly none yet.
        case frames([Frame])
        /// The master closed its end: it is gone.
        case endOfFile
    }

    /// Reads once (the caller knows the descriptor is readable) and returns complete frames.
    public mutating func read() throws(WorkerChannelError) -> ReadResult {
        let count = readBuffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
        if count == 0 { return .endOfFile }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return .frames([]) }
            if errno == ECONNRESET { return .endOfFile }
            throw .system("read", errno)
        }
        decoder.append(contentsOf: readBuffer[0..<count])
        var frames: [Frame] = []
        do {
            while let frame = try decoder.nextFrame() { frames.append(frame) }
        } catch {
            throw .protocolError(error)
        }
        return .frames(frames)
    }

    /// Writes one frame completely.
    public func write(_ frame: Frame) throws(WorkerChannelError) {
        try writer.write(frame)
    }

    /// Takes the bytes read but not yet returned as frames, for the reader the channel is
    /// handed to.
    mutating func takeBufferedBytes() -> [UInt8] {
        decoder.takeBufferedBytes()
    }

    /// Puts back bytes taken by ``takeBufferedBytes()`` when the hand-over did not happen.
    mutating func putBack(_ bytes: [UInt8]) {
        decoder.append(contentsOf: bytes)
    }
}

/// Writes whole frames to the channel; a lock keeps frames from different threads from
/// interleaving.
public final class FrameWriter: Sendable {
    private let fd: Int32
    private let lock = Mutex<Void>(())

    init(fd: Int32) {
        self.fd = fd
    }

    /// Writes one frame completely.
    public func write(_ frame: Frame) throws(WorkerChannelError) {
        let bytes = frame.encoded()
        let result: WorkerChannelError? = lock.withLock { _ in Self.writeAll(bytes, to: fd) }
        if let result { throw result }
    }

    /// Writes several frames completely, in order, with one system call where the socket
    /// takes them all (a group of webhook acks: one `send` instead of one per update).
    public func write(_ frames: [Frame]) throws(WorkerChannelError) {
        guard frames.count > 1 else {
            if let frame = frames.first { try write(frame) }
            return
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(frames.reduce(0) { $0 + Frame.headerSize + 1 + $1.payload.count })
        for frame in frames { bytes.append(contentsOf: frame.encoded()) }
        let result: WorkerChannelError? = lock.withLock { _ in Self.writeAll(bytes, to: fd) }
        if let result { throw result }
    }

    private static func writeAll(_ bytes: [UInt8], to fd: Int32) -> WorkerChannelError? {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                // Non-blocking once an event loop reads the channel (the descriptor's flags are
                // shared): a full socket is waited out here, as a blocking send would.
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    var writable = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    if poll(&writable, 1, -1) < 0 && errno != EINTR { return .system("poll", errno) }
                    continue
                }
                return .system("send", errno)
            }
            offset += written
        }
        return nil
    }
}

/// Why the channel failed.
public enum WorkerChannelError: Error, CustomStringConvertible {
    case system(String, Int32)
    case protocolError(ProtocolError)

    public var description: String {
        switch self {
        case .system(let call, let code): "\(call): \(String(cString: strerror(code)))"
        case .protocolError(let error): "\(error)"
        }
    }
}
