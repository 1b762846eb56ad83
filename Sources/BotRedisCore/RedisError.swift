/// Why a Redis call failed, in words an operator can act on. Never carries a password or a
/// command's values.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `REDIS_URL` does not parse.
    case badURL(String)
    /// No server answers at the address (refused, timed out, no such socket).
    case unreachable(String)
    /// The server refused the password (or wants one).
    case authenticationFailed(String)
    /// The connection broke or timed out mid-command; the command may or may not have run.
    case connectionLost(String)
    /// A command met a key of another type (`WRONGTYPE`).
    case wrongType(String)
    /// Fewer replicas than `wait_replicas` confirmed a step's writes in time: the writes are
    /// on the primary but could be lost in a failover, so the step does not count as done.
    case notReplicated(String)
    /// Any other error reply.
    case server(String)

    public var description: String {
        switch self {
        case .badURL(let reason): "REDIS_URL: \(reason)"
        case .unreachable(let reason): "Redis unreachable: \(reason)"
        case .authenticationFailed(let reason): "Redis authentication failed: \(reason)"
        case .connectionLost(let reason): "Redis connection lost: \(reason)"
        case .wrongType(let reason): "Redis key of the wrong type: \(reason)"
        case .notReplicated(let reason): "Redis replicas did not confirm in time: \(reason)"
        case .server(let reason): "Redis error: \(reason)"
        }
    }

    /// Worth a reconnect and a retry.
    public var isConnectionProblem: Bool {
        switch self {
        case .unreachable, .connectionLost, .notReplicated: true
        default: false
        }
    }

    /// Classifies an error reply.
    package static func fromReply(_ message: String) -> RedisError {
        if message.hasPrefix("WRONGTYPE") { return .wrongType(message) }
        // The server became a replica (a failover demoted it): the command did not run; the
        // connection is dropped and found again (through the sentinels) on the next call.
        if message.hasPrefix("READONLY") { return .unreachable("the server is a read-only replica now (\(message))") }
        if message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") || message.contains("invalid password") {
            return .authenticationFailed(message)
        }
        return .server(message)
    }
}
