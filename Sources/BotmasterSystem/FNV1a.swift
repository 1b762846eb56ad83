/// 64-bit FNV-1a: a stable digest, the same in every process and on every host (Swift's own
/// hashing is seeded per process). Not a cryptographic hash.
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    /// Adds `bytes`, then a separator byte, so that ("ab", "c") and ("a", "bc") differ.
    public mutating func add(bytes: some Sequence<UInt8>) {
        for byte in bytes {
            value ^= UInt64(byte)
            value = value &* 0x0000_0100_0000_01b3
        }
        value ^= 0xff
        value = value &* 0x0000_0100_0000_01b3
    }

    public mutating func add(_ text: String) { add(bytes: text.utf8) }

    /// The value as 16 hex digits.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
