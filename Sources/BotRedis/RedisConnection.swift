import CHiredis
import Glibc

/// One blocking hiredis connection. Not thread-safe and not `Sendable`: ``RedisClient`` owns it
/// on its own thread, so a blocking call never runs on an event loop.
public final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?
    public let url: RedisURL

    /// Connects, authenticates and selects the database. With a `redis-sentinel://` URL it asks
    /// the sentinels where the primary is first, and refuses a server that is not a primary.
    /// - Parameter timeout: for the connect and for every command after it.
    public init(url: RedisURL, timeout: Duration) throws(RedisError) {
        self.url = url
        var primary: (host: String, port: Int)?
        switch url.endpoint {
        case .tcp(let host, let port): context = try Self.open(host: host, port: port, timeout: timeout, naming: url)
        case .unix(let path): context = try Self.open(socket: path, timeout: timeout, naming: url)
        case .sentinel(let sentinels, let name):
            let found = try SentinelLookup.primary(named: name, asking: sentinels, password: url.sentinelPassword, timeout: timeout)
            context = try Self.open(host: found.host, port: found.port, timeout: timeout, naming: url)
            primary = found
        }
        do throws(RedisError) {
            if let password = url.password {
                do throws(RedisError) {
                    _ = try command(["AUTH", password])
                } catch {
                    if case .server(let message) = error { throw .authenticationFailed(message) }
                    throw error
                }
            }
            if url.database != 0 { _ = try command(["SELECT", "\(url.database)"]) }
            if let primary, try command(["ROLE"]).array?.first?.string != "master" {
                // Mid-failover a sentinel may still name a demoted primary: ask again later.
                throw .unreachable(
                    "\(url): the sentinels name \(primary.host):\(primary.port), which is not a primary (failover under way?)")
            }
        } catch {
            close()
            throw error
        }
    }

    private static func open(host: String, port: Int, timeout: Duration, naming url: RedisURL) throws(RedisError) -> UnsafeMutablePointer<
        redisContext
    > {
        try checked(redisConnectWithTimeout(host, Int32(port), timeval(timeout)), timeout: timeout, naming: url, at: "\(host):\(port)")
    }

    private static func open(socket path: String, timeout: Duration, naming url: RedisURL) throws(RedisError) -> UnsafeMutablePointer<
        redisContext
    > {
        try checked(redisConnectUnixWithTimeout(path, timeval(timeout)), timeout: timeout, naming: url, at: path)
    }

    /// The new context, with the timeout for its commands, or why it did not connect.
    private static func checked(
        _ connected: UnsafeMutablePointer<redisContext>?, timeout: Duration, naming url: RedisURL, at address: String
    ) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        guard let connected else { throw .unreachable("\(url): out of memory") }
        if connected.pointee.err != 0 {
            let reason = errorString(connected)
            redisFree(connected)
            let server = if case .sentinel = url.endpoint { " (primary at \(address))" } else { "" }
            throw .unreachable("\(url)\(server): \(reason)")
        }
        redisSetTimeout(connected, timeval(timeout))
        return connected
    }

    deinit { close() }

    /// Closes the connection; further calls fail with ``RedisError/connectionLost(_:)``.
    public func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Whether the connection is still usable.
    public var isOpen: Bool { context != nil }

    /// Runs one command. An error reply is thrown as a ``RedisError``.
    public func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try pipeline([arguments.map { Array($0.utf8) }])[0].get()
    }

    /// Sends every command at once and reads all replies: one round trip. An error reply of
    /// one command is that command's result; a broken connection throws.
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [Result<RedisReply, RedisError>] {
        guard let context else { throw .connectionLost("\(url): closed") }
        for arguments in commands {
            let appended = Self.withArgv(arguments) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard appended == REDIS_OK else { throw lost() }
        }
        var results: [Result<RedisReply, RedisError>] = []
        results.reserveCapacity(commands.count)
        var readOnly = false
        defer { if readOnly { close() } }
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else { throw lost() }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            let value = Self.convert(reply)
            freeReplyObject(raw)
            if case .error(let message) = value {
                let error = RedisError.fromReply(message)
                // A demoted primary: reconnect (through the sentinels) on the next call.
                if case .unreachable = error { readOnly = true }
                results.append(.failure(error))
            } else {
                results.append(.success(value))
            }
        }
        return results
    }

    /// The connection broke: close it so the client reconnects.
    private func lost() -> RedisError {
        let reason = context.map(Self.errorString) ?? "closed"
        close()
        return .connectionLost("\(url): \(reason)")
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STATUS: return .status(String(cString: value.str))
        case REDIS_REPLY_ERROR: return .error(String(cString: value.str))
        case REDIS_REPLY_INTEGER: return .integer(value.integer)
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_STRING:
            return .bulk(Array(UnsafeRawBufferPointer(start: value.str, count: Int(value.len))))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(convert(element)) }
            }
            return .array(elements)
        default: return .null
        }
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }

    private static func timeval(_ duration: Duration) -> Glibc.timeval {
        let microseconds = max(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000, 1000)
        return Glibc.timeval(tv_sec: Int(microseconds / 1_000_000), tv_usec: Int(microseconds % 1_000_000))
    }

    /// Calls `body` with C argv and length arrays for `arguments`.
    private static func withArgv(
        _ arguments: [[UInt8]], _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Int32
    ) -> Int32 {
        let buffers = arguments.map { bytes -> UnsafeMutablePointer<CChar> in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { raw in
                if let base = raw.baseAddress { buffer.initialize(from: base.assumingMemoryBound(to: CChar.self), count: bytes.count) }
            }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0) }
        let lengths = arguments.map(\.count)
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
            }
        }
    }
}
