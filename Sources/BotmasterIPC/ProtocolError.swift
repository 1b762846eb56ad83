/// Why a byte stream or a frame was rejected. Any of these from a worker makes the master log the
/// worker and restart it; none of them is allowed to crash or block the master.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The length prefix announced more than the receiver accepts.
    case frameTooLarge(length: Int, maximum: Int)
    /// The length prefix was zero: there is no type byte.
    case emptyFrame
    /// The type byte is not one of ``FrameType``.
    case unknownFrameType(UInt8)
    /// The frame type is valid but not allowed from this sender or at this point.
    case unexpectedFrame(FrameType, reason: String)
    /// The payload could not be decoded as the type requires.
    case malformedPayload(FrameType, reason: String)
    /// The peer speaks a protocol version this side does not.
    case unsupportedVersion(Int)

    public var description: String {
        switch self {
        case .frameTooLarge(let length, let maximum):
            "frame of \(length) bytes exceeds the limit of \(maximum) bytes"
        case .emptyFrame:
            "frame with length 0 (no type byte)"
        case .unknownFrameType(let byte):
            "unknown frame type 0x\(String(byte, radix: 16))"
        case .unexpectedFrame(let type, let reason):
            "unexpected \(type) frame: \(reason)"
        case .malformedPayload(let type, let reason):
            "malformed \(type) payload: \(reason)"
        case .unsupportedVersion(let version):
            "unsupported protocol version \(version) (this side speaks \(ProtocolVersion.current))"
        }
    }
}

/// The protocol version exchanged in ``Hello`` and ``Welcome``.
public enum ProtocolVersion {
    /// The version this build speaks.
    public static let current = 1
}
