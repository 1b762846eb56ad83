import BotAPI
import BotmasterIPC
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The hand-written reader must read every document it accepts exactly as `JSONDecoder` does,
/// and take the common ones itself (else it saves nothing).
@Suite struct JSONReaderTests {
    /// What the reader alone makes of a document (nil: it leaves it to `JSONDecoder`).
    static func fast<T: JSONReadable>(_ type: T.Type, _ text: String) -> T? {
        try? JSONReader.read(Array(text.utf8)) { reader throws(JSONReader.Failure) in try T(reading: &reader) }
    }

    static func foundation<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(bytes))
    }

    /// Documents Telegram sends, in the shapes the reader must take itself.
    static let updates = [
        #"{"update_id":1,"message":{"message_id":2,"date":3,"chat":{"id":4,"type":"private"},"text":"hi"}}"#,
        #"""
        {
          "update_id" : 918273645,
          "message" : {
            "message_id" : 77, "date" : 1732500000,
            "from" : {"id": 123456789, "is_bot": false, "first_name": "Анна", "last_name": null, "username": "anna", "language_code": "ru", "is_premium": true},
            "chat" : {"id": -1001234567890, "type": "supergroup", "title": "Группа \"тест\"", "username": null},
            "text" : "Привет, мир! 😀 \u00e9\n\t\"quoted\" \\ \/ \ud83d\ude00",
            "entities": [{"offset": 0, "length": 6, "type": "bold"}, {"offset": 1e3, "length": -0.5E-2, "type": "x"}],
            "reply_to_message": {"message_id": 5, "chat": {"id": 4, "type": "private"}, "text": null, "photo": [[1, 2], {"a": [true, false, null]}]}
          }
        }
        """#,
        #"{"update_id":9223372036854775807,"edited_message":{"message_id":-9223372036854775808,"date":0,"chat":{"id":0,"type":"group","first_name":"x"},"text":""}}"#,
        #"{"update_id":10,"callback_query":{"id":"abc","data":"\u0000\u001f"},"message":null}"#,
        #"{"update_id":11,"message":{"message_id":1,"date":2,"chat":{"id":3,"type":"private"},"reply_to_message":null,"unknown":{}}}"#,
    ]

    @Test("the reader takes the updates Telegram sends and reads them as JSONDecoder does")
    func updatesReadLikeFoundation() throws {
        for text in Self.updates {
            let fast = try #require(Self.fast(Update.self, text), "left to JSONDecoder: \(text)")
            #expect(fast == Self.foundation(Update.self, Array(text.utf8)))
        }
        let second = try #require(Self.fast(Update.self, Self.updates[1]))
        #expect(second.message?.text == "Привет, мир! 😀 é\n\t\"quoted\" \\ / 😀")
        #expect(second.message?.chat.id == -1_001_234_567_890)
        #expect(second.message?.from?.firstName == "Анна")
        #expect(second.message?.replyToMessage?.messageID == 5)
    }

    /// Documents the reader leaves to `JSONDecoder`, with what `decode` must then give:
    /// `JSONDecoder`'s answer, value or refusal.
    static let leftToFoundation = [
        #"{"update_id":1.0}"#,  // an integer written with a fraction: JSONDecoder takes it
        #"{"update_id":1e2}"#,
        #"{"update_id":1,"update_id":2}"#,  // repeated: JSONDecoder keeps the first
        #"{"update_id":1,}"#,  // trailing comma: JSONDecoder forgives it
        #"{"update\u005fid":3}"#,  // escaped key
        "\u{FEFF}{\"update_id\":4}",  // byte order mark
        #"{"update_id":null}"#,
        #"{"message":{}}"#,
        #"{"update_id":9223372036854775808}"#,
        #"{"update_id":1,"message":{"message_id":2,"chat":{"id":4,"type":"private"}}}"#,  // a message without date
        #"{"update_id":1,"message":{"message_id":2,"date":3,"chat":{"id":4,"type":"private"},"text":"\ud800"}}"#,
        "{\"update_id\":1,\"message\":{\"message_id\":2,\"date\":3,\"chat\":{\"id\":4,\"type\":\"private\"},\"text\":\"a\u{01}\"}}",
        #"{"update_id":1} x"#,
        #"{"update_id":01}"#,
        #"[1]"#,
        "",
    ]

    @Test("whatever the reader leaves, decode answers as JSONDecoder does")
    func fallbackAnswersAsFoundation() {
        for text in Self.leftToFoundation {
            #expect(Self.fast(Update.self, text) == nil, "the reader took \(text)")
            let bytes = Array(text.utf8)
            #expect((try? Update.decode(bytes)) == Self.foundation(Update.self, bytes), "\(text)")
        }
        #expect((try? Update.decode(Array(#"{"update_id":1,"update_id":2}"#.utf8)))?.updateID == 1)
    }

    @Test("invalid UTF-8 in a text is refused, in an unknown field it is passed over as JSONDecoder does")
    func invalidUTF8() {
        let inText =
            Array(#"{"update_id":1,"message":{"message_id":2,"date":3,"chat":{"id":4,"type":"p"},"text":""#.utf8) + [0xFF]
            + Array(#""}}"#.utf8)
        #expect((try? Update.decode(inText)) == nil)
        #expect(Self.foundation(Update.self, inText) == nil)
        let inUnknown = Array(#"{"update_id":1,"x":""#.utf8) + [0xC0, 0x80] + Array(#""}"#.utf8)
        #expect((try? Update.decode(inUnknown)) == Self.foundation(Update.self, inUnknown))
        #expect((try? Update.decode(inUnknown))?.updateID == 1)
    }

    @Test("Bot API answers: results, errors with retry_after, and getUpdates' list")
    func apiResponses() throws {
        let sent = try #require(
            Self.fast(
                APIResponse<MessageID>.self,
                #"{"ok":true,"result":{"message_id":42,"from":{"id":1,"is_bot":true,"first_name":"b"},"chat":{"id":5,"type":"private"},"date":1,"text":"x"}}"#
            ))
        #expect(sent.ok && sent.result == MessageID(messageID: 42))
        let flood = try #require(
            Self.fast(
                APIResponse<MessageID>.self,
                #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#))
        #expect(!flood.ok && flood.errorCode == 429 && flood.parameters?.retryAfter == 7 && flood.result == nil)
        let polled = try #require(Self.fast(APIResponse<[Update]>.self, #"{"ok":true,"result":[\#(Self.updates[0]),\#(Self.updates[2])]}"#))
        #expect(polled.result?.map(\.updateID) == [1, 9_223_372_036_854_775_807])
        #expect(Self.fast(APIResponse<Bool>.self, #"{"ok":true,"result":true,"description":"Webhook was set"}"#)?.result == true)
    }

    /// Random messages written by `JSONEncoder` (every kind of character, escaped as it
    /// escapes them) come back equal through the reader alone.
    @Test("random updates written by JSONEncoder read back equal without JSONDecoder")
    func randomRoundTrips() throws {
        // A fixed linear congruential sequence: the same cases every run (high bits for the
        // small choices, whole values for ids of either sign).
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
        let alphabet: [Character] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "Я", "中", "😀", "\u{FEFF}", "\u{2028}",
        ]
        for round in 0..<500 {
            let text = String((0..<Int((next() >> 33) % 20)).map { _ in alphabet[Int((next() >> 33) % UInt64(alphabet.count))] })
            let chat = Chat(
                id: Int64(bitPattern: next()), type: round % 2 == 0 ? "private" : "supergroup", title: round % 3 == 0 ? text : nil
            )
            let from =
                round % 4 == 0
                ? nil : User(id: Int64(bitPattern: next() >> 1), isBot: round % 5 == 0, firstName: text, username: "u\(round)")
            let reply = round % 6 == 0 ? RepliedMessage(messageID: 1, chat: chat, text: text) : nil
            let message = Message(
                messageID: Int64(round), date: Int64(round) * 1000, chat: chat, from: from, text: round % 7 == 0 ? nil : text,
                replyToMessage: reply)
            let update = Update(
                updateID: Int64(round), message: round % 9 == 0 ? nil : message, editedMessage: round % 9 == 0 ? message : nil)
            let encoded = try String(decoding: JSONEncoder().encode(update), as: UTF8.self)
            #expect(Self.fast(Update.self, encoded) == update, "\(encoded)")
        }
    }
}
