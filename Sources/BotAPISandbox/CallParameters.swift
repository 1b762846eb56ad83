import BotAPI
import BotmasterIPC
import Hummingbird
import HummingbirdCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A Bot API call's parameters in any of the forms Telegram accepts: a JSON body, an
/// `application/x-www-form-urlencoded` body (what aiogram and python-telegram-bot send), or the
/// query string of a GET.
enum CallParameters {
    case json(ByteBuffer)
    /// Form fields, percent-decoded, in order.
    case fields([(name: String, value: String)])
    /// A `multipart/form-data` body: file uploads, which the sandbox does not take.
    case multipart

    /// Why parameters cannot be read, as the Bot API's `description` says it.
    struct Unsupported: Error, Equatable {
        var description: String
    }

    /// The parameters of a request whose body is `body`.
    static func of(contentType: String?, body: ByteBuffer, query: String?) -> CallParameters {
        guard body.readableBytes > 0 else { return .fields(fields(ofQuery: query ?? "")) }
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        if mediaType == "application/x-www-form-urlencoded" {
            return .fields(fields(ofQuery: String(buffer: body)))
        }
        if mediaType == "multipart/form-data" { return .multipart }
        return .json(body)
    }

    /// `a=1&b=x+y` → [(a, 1), (b, "x y")]. A form encodes a space as `+` and a plus as `%2B`,
    /// so turning `+` into `%20` first is exact.
    static func fields(ofQuery query: String) -> [(name: String, value: String)] {
        guard !query.isEmpty else { return [] }
        let uri = URI("/?" + query.replacingOccurrences(of: "+", with: "%20"))
        return uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
    }

    /// Decodes the parameters as `type`.
    ///
    /// Form fields carry no types, so each value is read as Telegram reads it: a number, `true` or
    /// `false`, or a JSON object or array (how `reply_parameters` and `allowed_updates` travel in
    /// a form) where it parses as one, a string otherwise. A field that `type` wants as a string
    /// although it looks like a number (a `text` of "42") is taken again as a string.
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value {
        switch self {
        case .json(let body):
            // The methods' requests have hand-written readers (with JSONDecoder behind them).
            if let readable = type as? any JSONReadable.Type, let value = try readable.decode(body) as? Value { return value }
            return try JSONDecoder().decode(type, from: Data(buffer: body))
        case .multipart:
            throw Unsupported(description: "multipart/form-data (file uploads) is not supported by the sandbox; send JSON or a form")
        case .fields(let fields):
            var asText: Set<String> = []
            while true {
                do {
                    return try JSONDecoder().decode(type, from: Self.object(fields, asText: asText))
                } catch DecodingError.typeMismatch(let expected, let context)
                    where expected == String.self && context.codingPath.count == 1
                    && !asText.contains(context.codingPath[0].stringValue)
                {
                    asText.insert(context.codingPath[0].stringValue)
                }
            }
        }
    }

    /// The fields as the text of a JSON object.
    private static func object(_ fields: [(name: String, value: String)], asText: Set<String>) throws -> Data {
        var members: [String] = []
        for (name, value) in fields {
            let literal = asText.contains(name) ? nil : Self.literal(value)
            members.append(try quoted(name) + ":" + (literal ?? quoted(value)))
        }
        return Data(("{" + members.joined(separator: ",") + "}").utf8)
    }

    /// `value` as it stands when it is a JSON number, boolean, object or array.
    private static func literal(_ value: String) -> String? {
        if value == "true" || value == "false" || Int64(value) != nil { return value }
        // Swift's Double also reads "nan" and "inf", which JSON has not.
        if Double(value) != nil, value.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }) { return value }
        guard value.first == "{" || value.first == "[" else { return nil }
        return (try? JSONDecoder().decode(AnyJSON.self, from: Data(value.utf8))) != nil ? value : nil
    }

    private static func quoted(_ text: String) throws -> String {
        String(decoding: try JSONEncoder().encode(text), as: UTF8.self)
    }

    /// Any JSON value, decoded only to tell whether a text is JSON.
    private struct AnyJSON: Decodable {
        init(from decoder: any Decoder) throws {
            if var array = try? decoder.unkeyedContainer() {
                while !array.isAtEnd { _ = try array.decode(AnyJSON.self) }
            } else if let object = try? decoder.container(keyedBy: AnyKey.self) {
                for key in object.allKeys { _ = try object.decode(AnyJSON.self, forKey: key) }
            } else {
                let single = try decoder.singleValueContainer()
                guard
                    single.decodeNil() || (try? single.decode(Bool.self)) != nil || (try? single.decode(Double.self)) != nil
                        || (try? single.decode(String.self)) != nil
                else { throw DecodingError.dataCorruptedError(in: single, debugDescription: "not JSON") }
            }
        }
    }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
