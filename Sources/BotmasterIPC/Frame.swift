/// One protocol frame: a type byte and its payload.
///
/// On the wire a frame is a 4-byte big-endian length `L`, then `L` bytes: the type byte followed by
/// `L - 1` payload bytes. `L` counts the type byte, so the smallest valid frame has `L == 1`.
public struct Frame: Sendable, Equatable {
    /// What the payload means.
    public var type: FrameType
    /// The payload bytes, without the type byte.
    public var payload: [UInt8]

    public init(type: FrameType, payload: [UInt8] = []) {
        self.type = type
        self.payload = payload
    }

    /// Size of the length prefix in bytes.
    public static let headerSize = 4

    /// Largest frame (type byte plus payload) either side accepts by default: 1 MiB. Large enough
    /// for a webhook update body, small enough that a broken peer cannot make the master allocate
    /// without bound.
    public static let defaultMaximumLength = 1 << 20

    /// The frame as bytes on the wire.
    public func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Self.headerSize + 1 + payload.count)
        let length = UInt32(payload.count + 1)
        bytes.append(UInt8(truncatingIfNeeded: length >> 24))
        bytes.append(UInt8(truncatingIfNeeded: length >> 16))
        bytes.append(UInt8(truncatingIfNeeded: length >> 8))
        bytes.append(UInt8(truncatingIfNeeded: length))
        bytes.append(type.rawValue)
        bytes.append(contentsOf: payload)
        return bytes
    }
}
