/// A reply from Redis, typed.
public enum RedisReply: Sendable, Equatable {
    /// `+OK` and other simple strings.
    case status(String)
    case integer(Int64)
    /// A bulk string, as bytes (values need not be UTF-8).
    case bulk([UInt8])
    case array([RedisReply])
    /// A nil bulk string or array (a missing key).
    case null
    /// An error reply (`-ERR …`, `-WRONGTYPE …`); ``RedisConnection`` turns it into a thrown
    /// ``RedisError`` unless asked for raw replies.
    case error(String)

    /// The bulk or status value as text.
    public var string: String? {
        switch self {
        case .bulk(let bytes): String(decoding: bytes, as: UTF8.self)
        case .status(let text): text
        default: nil
        }
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [RedisReply]? {
        if case .array(let values) = self { return values }
        return nil
    }
}
