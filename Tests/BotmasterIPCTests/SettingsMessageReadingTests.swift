import Foundation
import Testing

@testable import BotmasterIPC

/// The welcome and config frames are read by ``JSONReader`` and, where it gives up, by
/// `JSONDecoder`: either way the value `JSONDecoder` reads, or its refusal. The reader must take
/// the frames the master sends, or it saves nothing.
@Suite struct SettingsMessageReadingTests {
    static let values: [String] = [
        #"{}"#, #"[]"#, #"null"#, #"true"#, #"false"#, #"0"#, #"-0"#, #"12"#, #"-3.25"#, #"1e3"#, #"1E-2"#, #"2.5e+4"#,
        #"  {"a" : [1, 2, {"b": null}], "c": "d"}  "#, "{\n\t\"x\":\r\n true}",
        #""plain""#, #""quote \" slash \/ back \\ \b\f\n\r\t""#, #""\u0041\u00e9\u4e2d\ud83d\ude00""#, #""\u0000""#,
        #""Привет, мир 😀""#, #"{"nested": {"deeper": {"deepest": [[[]]]}}}"#, #"[1.7976931348623157e308, 5e-324]"#,
        #"{"batch": {"quiet": "5s", "max_messages": 10}, "handler": {"kind": "echo", "concurrency": 64}}"#,
    ]

    static let notJSON: [String] = [
        "", " ", "{", "}", "[1,]", #"{"a":1,}"#, #"{"a" 1}"#, #"{a:1}"#, "01", "-", "1.", ".5", "1e", "+1", "tru", "nul",
        #""unterminated"#, "\"control \u{01} character\"", #""\x""#, #""\u12""#, #""\ud800""#, #""\ud800\u0041""#, #""\udc00""#,
        "[1] 2", "{} {}", "NaN", "'single'",
    ]

    @Test(arguments: values) func anyValueReadsAsFoundationReadsIt(_ text: String) throws {
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try JSONReader.read(Array(text.utf8)) { reader throws(JSONReader.Failure) in try reader.value() } == expected)
    }

    @Test(arguments: notJSON) func textThatIsNotJSONIsNotRead(_ text: String) {
        #expect(throws: JSONReader.Failure.self) {
            try JSONReader.read(Array(text.utf8)) { reader throws(JSONReader.Failure) in try reader.value() }
        }
    }

    /// Random settings written by `JSONEncoder` read back as they were: by the reader itself
    /// while no key needs an escape, through `JSONDecoder` otherwise.
    @Test func randomSettingsRoundTrip() throws {
        var generator = SystemRandomNumberGenerator()
        for round in 0..<400 {
            let escapedKeys = round % 2 == 1
            var settings: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...5, using: &generator) {
                let key = Self.randomString(escapes: escapedKeys, using: &generator)
                settings[key] = Self.randomValue(depth: 0, escapedKeys: escapedKeys, using: &generator)
            }
            let welcome = Welcome(heartbeatIntervalMs: 1000, logLevel: "info", settings: settings)
            let frame = MasterMessage.welcome(welcome).frame()
            #expect(try MasterMessage(frame: frame) == .welcome(welcome))
            if !escapedKeys {
                let read = try JSONReader.read(frame.payload) { reader throws(JSONReader.Failure) in try reader.value() }
                #expect(read.objectMember("settings") == .object(settings))
            }
        }
    }

    /// What the reader leaves to `JSONDecoder` (an escaped key, a repeated key, a fraction where
    /// an integer belongs) reads or fails as it did before.
    @Test func framesTheReaderLeavesToJSONDecoderReadAsBefore() throws {
        let escapedKey = #"{"protocol":1,"heartbeat_interval_ms":500,"log_level":"info","settings":{"a\u0062":1}}"#
        #expect(
            try MasterMessage(frame: Frame(type: .welcome, payload: Array(escapedKey.utf8)))
                == .welcome(Welcome(heartbeatIntervalMs: 500, logLevel: "info", settings: ["ab": .number(1)])))
        let missing = #"{"protocol":1,"log_level":"info","settings":{}}"#
        let missingReason = #"not the expected JSON object (missing key "heartbeat_interval_ms")"#
        #expect(throws: ProtocolError.malformedPayload(.welcome, reason: missingReason)) {
            try MasterMessage(frame: Frame(type: .welcome, payload: Array(missing.utf8)))
        }
        let fraction = #"{"heartbeat_interval_ms":1.5}"#
        #expect(throws: ProtocolError.self) { try MasterMessage(frame: Frame(type: .config, payload: Array(fraction.utf8))) }
        let nullSettings = #"{"heartbeat_interval_ms":250,"settings":null}"#
        #expect(
            try MasterMessage(frame: Frame(type: .config, payload: Array(nullSettings.utf8)))
                == .config(ConfigUpdate(heartbeatIntervalMs: 250, settings: nil)))
        #expect(throws: ProtocolError.self) { try MasterMessage(frame: Frame(type: .config, payload: Array("{".utf8))) }
    }

    private static func randomValue(depth: Int, escapedKeys: Bool, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2:
            return .number(
                Bool.random(using: &generator)
                    ? Double(Int.random(in: -1_000_000...1_000_000, using: &generator))
                    : Double.random(in: -1e12...1e12, using: &generator))
        case 3: return .string(randomString(escapes: true, using: &generator))
        case 4:
            return .array(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, escapedKeys: escapedKeys, using: &generator)
                })
        default:
            var object: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                object[randomString(escapes: escapedKeys, using: &generator)] = randomValue(
                    depth: depth + 1, escapedKeys: escapedKeys, using: &generator)
            }
            return .object(object)
        }
    }

    /// Text with what needs escaping in JSON, or without it.
    private static func randomString(escapes: Bool, using generator: inout SystemRandomNumberGenerator) -> String {
        // `/` too: the master's `JSONEncoder` writes it as `\/`.
        let plain: [Character] = ["a", "Z", "0", " ", "é", "中", "😀", "\u{7F}"]
        let alphabet = escapes ? plain + ["/", "\"", "\\", "\n", "\t", "\u{01}", "\u{1F}"] : plain
        return String((0..<Int.random(in: 0...8, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

extension JSONValue {
    /// A member of an object value.
    fileprivate func objectMember(_ key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }
}
