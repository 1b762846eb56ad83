#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// JSON encoding of the control messages. FoundationEssentials keeps the worker free of ICU and
/// the rest of Foundation, which matters when a thousand workers run at once.
enum JSONPayload {
    static func encode<Message: Encodable>(_ message: Message) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Encoding these plain structs cannot fail: no floats that could be NaN, no custom encoders.
        // swiftlint:disable:next force_try
        return Array(try! encoder.encode(message))
    }

    static func decode<Message: Decodable>(_ type: Message.Type, from frame: Frame) throws(ProtocolError) -> Message {
        try decodeWithFoundation(type, from: frame)
    }

    /// A message with a hand-written reader (the welcome and config frames every starting
    /// worker reads): read by it, or by `JSONDecoder` where it gives up, as ``JSONReadable``.
    static func decode<Message: JSONReadable>(_ type: Message.Type, from frame: Frame) throws(ProtocolError) -> Message {
        if let value = try? JSONReader.read(frame.payload, { reader throws(JSONReader.Failure) in try Message(reading: &reader) }) {
            return value
        }
        return try decodeWithFoundation(type, from: frame)
    }

    private static func decodeWithFoundation<Message: Decodable>(_ type: Message.Type, from frame: Frame) throws(ProtocolError)
        -> Message
    {
        do {
            return try JSONDecoder().decode(type, from: Data(frame.payload))
        } catch {
            throw .malformedPayload(frame.type, reason: "not the expected JSON object (\(Self.summary(of: error)))")
        }
    }

    /// A one-line reason from a decoding error, without echoing the payload itself.
    private static func summary(of error: any Error) -> String {
        switch error as? DecodingError {
        case .keyNotFound(let key, _): "missing key \"\(key.stringValue)\""
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            "wrong type at \"\(context.codingPath.map(\.stringValue).joined(separator: "."))\""
        case .dataCorrupted: "invalid JSON"
        default: "invalid JSON"
        }
    }
}
