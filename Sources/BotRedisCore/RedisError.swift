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
    /// Any other error reply.
    case server(String)

    public var description: String {
        switch self {
        case .badURL(let reason): "REDIS_URL: \(reason)"
        case .unreachable(let reason): "Redis unreachable: \(reason)"
        case .authenticationFailed(let reason): "Redis authentication failed: \(reason)"
        case .connectionLost(let reason): "Redis connection lost: \(reason)"
        case .wrongType(let reason): "Redis key of the wrong type: \(reason)"
        case .server(let reason): "Redis error: \(reason)"
        }
    }

    /// Worth a reconnect and a retry.
    public var isConnectionProblem: Bool {
        switch self {
        case .unreachable, .connectionLost: true
        default: false
        }
    }

    /// Classifies an error reply.
    package static func fromReply(_ message: String) -> RedisError {
        if message.hasPrefix("WRONGTYPE") { return .wrongType(message) }
        if message.hasPrefix("NOAUTH") || message.hasPrefix("WRONGPASS") || message.contains("invalid password") {
            return .authenticationFailed(message)
        }
        return .server(message)
    }
}
