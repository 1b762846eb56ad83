import Foundation
import Testing

@testable import BotmasterIPC

/// The hand-written parser against Foundation's `JSONDecoder` (with `JSONValue`'s `Decodable`
/// conformance, what read the welcome before): the same value for every valid text, a failure
/// for every invalid one.
@Suite struct JSONValueParserTests {
    static let valid: [String] = [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"12"#, #"-3.25"#, #"1e3"#, #"1E-2"#, #"2.5e+4"#,
        #"  {"a" : [1, 2, {"b": null}], "c": "d"}  "#, "{\n\t\"x\":\r\n true}",
        #""plain""#, #""quote \" slash \/ back \\ \b\f\n\r\t""#, #""\u0041\u00e9\u4e2d\ud83d\ude00""#, #""\u0000""#,
        #""Привет, мир 😀""#, #"{"nested": {"deeper": {"deepest": [[[]]]}}}"#, #"[1.7976931348623157e308, 5e-324]"#,
        #"{"batch": {"quiet": "5s", "max_messages": 10}, "handler": {"kind": "echo", "concurrency": 64}}"#,
    ]

    static let invalid: [String] = [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "01", "-", "1.", ".5", "1e", "+1", "tru", "nul",
        #""unterminated"#, "\"control \u{01} character\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#,
        "[1] 2", "{} {}", "[1e400]", "NaN", "'single'",
    ]

    @Test(arguments: valid) func aValidTextReadsAsFoundationReadsIt(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONValueParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: invalid) func anInvalidTextFails(_ text: String) {
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse(Array(text.utf8)) }
    }

    @Test func invalidUTF8InAStringFails() {
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse([0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse([0x22, 0xFF, 0x22]) }
    }

    @Test func nestingDeeperThanTheLimitFailsInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONValueParser.Failure.self) { try JSONValueParser.parse(Array(deep.utf8)) }
    }

    /// Random documents written by `JSONEncoder` read back as they were.
    @Test func randomDocumentsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let value = Self.randomValue(depth: 0, using: &generator)
            let text = try JSONEncoder().encode(value)
            #expect(try JSONValueParser.parse(Array(text)) == value, "\(String(decoding: text, as: UTF8.self))")
        }
    }

    @Test func aWelcomeWithAMissingOrMistypedKeyIsAProtocolError() {
        let missing = Frame(type: .welcome, payload: Array(#"{"protocol":1,"log_level":"info","settings":{}}"#.utf8))
        let missingReason = #"not the expected JSON object (missing key "heartbeat_interval_ms")"#
        #expect(throws: ProtocolError.malformedPayload(.welcome, reason: missingReason)) { try MasterMessage(frame: missing) }
        let fractionText = #"{"protocol":1,"heartbeat_interval_ms":1.5,"log_level":"info","settings":{}}"#
        let fractionReason = #"not the expected JSON object (wrong type at "heartbeat_interval_ms")"#
        #expect(throws: ProtocolError.malformedPayload(.welcome, reason: fractionReason)) {
            try MasterMessage(frame: Frame(type: .welcome, payload: Array(fractionText.utf8)))
        }
        let garbage = Frame(type: .config, payload: Array("{".utf8))
        #expect(throws: ProtocolError.self) { try MasterMessage(frame: garbage) }
    }

    private static func randomValue(depth: Int, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        let kinds = depth > 3 ? 4 : 6
        switch Int.random(in: 0..<kinds, using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2:
            return .number(
                Bool.random(using: &generator)
                    ? Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
                    : Double.random(in: -1e12...1e12, using: &generator))
        case 3: return .string(randomString(using: &generator))
        case 4: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in randomValue(depth: depth + 1, using: &generator) })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                object[randomString(using: &generator)] = randomValue(depth: depth + 1, using: &generator)
            }
            return .object(object)
        }
    }

    private static func randomString(using generator: inout SystemRandomNumberGenerator) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "é", "中", "😀", "\u{7F}"]
        return String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
