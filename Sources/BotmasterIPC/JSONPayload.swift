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
        try refusingAsMalformed(frame) { try JSONDecoder().decode(type, from: Data(frame.payload)) }
    }

    /// A message with a hand-written reader (the welcome and config frames every starting
    /// worker reads): read as ``JSONReadable/decode(_:)`` reads it, by the reader or, where it
    /// gives up, by `JSONDecoder`.
    static func decode<Message: JSONReadable>(_ type: Message.Type, from frame: Frame) throws(ProtocolError) -> Message {
        try refusingAsMalformed(frame) { try Message.decode(frame.payload) }
    }

    /// `body`'s value, or its decoding error as the frame's ``ProtocolError/malformedPayload(_:reason:)``.
    private static func refusingAsMalformed<Message>(_ frame: Frame, _ body: () throws -> Message) throws(ProtocolError) -> Message {
        do {
            return try body()
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
