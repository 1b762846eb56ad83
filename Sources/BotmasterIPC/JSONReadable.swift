#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A type with a hand-written reader (``JSONReader``) beside its `Decodable` conformance: the
/// reader takes the common, well-formed documents; `JSONDecoder` takes whatever the reader
/// leaves to it, so both paths give the same value or the same refusal.
package protocol JSONReadable: Decodable {
    /// Reads one value; a ``JSONReader/Failure`` hands the whole document to `JSONDecoder`.
    init(reading reader: inout JSONReader) throws(JSONReader.Failure)
}

extension JSONReadable {
    /// The value in `bytes`, read by the hand-written reader or, where it gives up, by
    /// `JSONDecoder` (which then throws its own error for a document that is not this type).
    package static func decode(_ bytes: [UInt8]) throws -> Self {
        if let value = try? JSONReader.read(bytes, { reader throws(JSONReader.Failure) in try Self(reading: &reader) }) { return value }
        return try JSONDecoder().decode(Self.self, from: Data(bytes))
    }
}

extension JSONReader {
    /// `null` as nil, else one `T`.
    package mutating func optional<T: JSONReadable>(_ type: T.Type) throws(Failure) -> T? {
        try optional { reader throws(Failure) in try T(reading: &reader) }
    }
}
