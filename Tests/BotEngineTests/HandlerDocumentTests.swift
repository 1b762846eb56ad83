import BotAPI
import BotmasterIPC
import NIOCore
import Testing

@testable import BotEngine

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `http` and `command` handlers' documents go through the hand-written codec; a backend
/// must see exactly what `JSONEncoder` sent before, and an answer must mean what it meant to
/// `JSONDecoder`.
@Suite struct HandlerDocumentTests {
    static var requests: [HandlerRequest] {
        let awkward = "Привет \"мир\"\n\\ /slash\t\u{0}\u{1F}\u{7F} 😀"
        return [
            HandlerRequest(
                bot: "support-bot", chat: .init(id: -1_001_234_567_890, type: "supergroup"),
                user: .init(id: 42, firstName: "Анна", username: "anna"), text: "hi\n\(awkward)",
                messages: [
                    .init(updateID: 1, messageID: 2, text: "hi"),
                    .init(updateID: .max, messageID: .min, text: awkward),
                ]),
            HandlerRequest(
                bot: awkward, chat: .init(id: 7, type: "private"), user: .init(id: 1, firstName: nil, username: nil), text: "",
                messages: [.init(updateID: 3, messageID: 4, text: "")]),
            HandlerRequest(bot: "b", chat: .init(id: 0, type: ""), user: nil, text: "x", messages: []),
        ]
    }

    /// A document as a tree: keys, values and which keys are absent, whatever their order.
    static func tree(_ bytes: some Sequence<UInt8>) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(bytes))
    }

    @Test("a written request is the document JSONEncoder writes, and reads back as itself")
    func requestsMatchTheEncoder() throws {
        for request in Self.requests {
            let written = request.jsonBytes
            let text = String(decoding: written, as: UTF8.self)
            #expect(try JSONDecoder().decode(HandlerRequest.self, from: Data(written)) == request, "\(text)")
            #expect(try Self.tree(written) == Self.tree(JSONEncoder().encode(request)), "\(text)")
        }
    }

    @Test("an absent user and absent names are left out, not written as null")
    func absentFieldsAreLeftOut() {
        let request = HandlerRequest(
            bot: "b", chat: .init(id: 1, type: "private"), user: .init(id: 2, firstName: nil, username: "u"), text: "t",
            messages: [.init(updateID: 3, messageID: 4, text: "t")])
        #expect(
            String(decoding: request.jsonBytes, as: UTF8.self)
                == #"{"bot":"b","chat":{"id":1,"type":"private"},"user":{"id":2,"username":"u"},"text":"t","messages":[{"update_id":3,"message_id":4,"text":"t"}]}"#
        )
        var anonymous = request
        anonymous.user = nil
        #expect(!String(decoding: anonymous.jsonBytes, as: UTF8.self).contains("user"))
    }

    @Test("a backend's answer means what it meant to JSONDecoder, and the same answers are refused")
    func answersReadAsJSONDecoderReadThem() {
        let answers = [
            #"{"reply":"ok"}"#, #"{"reply":"Привет \"мир\"\n\u00e9\ud83d\ude00","handoff":true}"#, #"{"handoff":false}"#, "{}",
            #"{"reply":null,"handoff":null}"#, #" { "reply" : "spaced" } "#,
            #"{"reply":"x","extra":{"nested":[1,2.5e3,{"a":null}]},"more":"y"}"#,
            // The reader leaves these to JSONDecoder, whose answer stands.
            #"{"reply":"first","reply":"second"}"#, #"{"re\u0070ly":"escaped key"}"#,
            // Refused by both.
            #"{"reply":5}"#, #"{"handoff":"yes"}"#, #""just a string""#, "[1]", "null", #"{"reply":"unterminated}"#, "{", "",
        ]
        for answer in answers {
            let expected = try? JSONDecoder().decode(HandlerReply.self, from: Data(answer.utf8))
            let read = try? HandlerReply.decode(ByteBuffer(string: answer))
            #expect(read == expected, "\(answer)")
        }
    }
}
