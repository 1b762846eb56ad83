import BotAPI
import BotmasterIPC
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The sandbox writes the Bot API's objects by hand and reads the requests by hand; the bytes
/// must be its encoder's and the values the decoder's.
@Suite struct TelegramTypesJSONTests {
    static func encoded(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static let awkward = "Привет \"q\" back\\slash /slash\n\r\t\u{08}\u{0C}\u{01}\u{1F}\u{7F} 🎉 </script>"

    static let message = Message(
        messageID: 7, date: 1_795_576_900, chat: Chat(id: -1_001, type: "supergroup", title: awkward, username: "grp"),
        from: User(id: 42, isBot: false, firstName: awkward, lastName: "L", username: "u"), text: awkward,
        replyToMessage: RepliedMessage(
            messageID: 6, date: nil, chat: Chat(id: 5, type: "private", firstName: "F"), from: nil, text: nil))

    @Test func theObjectsAreWrittenAsTheSandboxEncoderWritesThem() throws {
        let bare = Message(messageID: 1, date: 0, chat: Chat(id: 1, type: "private"))
        #expect(Self.message.jsonBytes == (try Self.encoded(Self.message)))
        #expect(bare.jsonBytes == (try Self.encoded(bare)))
        let update = Update(updateID: 1_795_576_900_881, message: Self.message)
        #expect(update.jsonBytes == (try Self.encoded(update)))
        let answers: [any JSONWritable & Encodable] = [
            APIResponse(ok: true, result: Self.message), APIResponse(ok: true, result: MessageID(messageID: .max)),
            APIResponse(ok: true, result: [update, Update(updateID: 2, editedMessage: bare)]), APIResponse(ok: true, result: true),
            APIResponse<Bool>(
                ok: false, errorCode: 429, description: "Too Many Requests: retry after 3", parameters: ResponseParameters(retryAfter: 3)),
            APIResponse(ok: true, result: [Update]()),
        ]
        for answer in answers {
            #expect(answer.jsonBytes == (try Self.encoded(answer)), "\(String(decoding: answer.jsonBytes, as: UTF8.self))")
        }
    }

    @Test func requestsAreReadAsTheDecoderReadsThem() throws {
        let documents = [
            #"{"chat_id": 5, "text": "hi", "disable_notification": true}"#,
            #"{"text": "\u041f\u0440\u0438", "chat_id": -100123, "reply_parameters": {"message_id": 3}, "parse_mode": null}"#,
            #"{"chat_id": 1, "text": "x", "reply_parameters": {"message_id": 3, "allow_sending_without_reply": false}, "parse_mode": "HTML"}"#,
        ]
        for document in documents {
            let bytes = Array(document.utf8)
            #expect(try SendMessage.decode(bytes) == (try JSONDecoder().decode(SendMessage.self, from: Data(bytes))), "\(document)")
        }
        let transfer = Array(#"{"chat_id": 1, "from_chat_id": 2, "message_id": 3}"#.utf8)
        #expect(try MessageTransfer.decode(transfer) == MessageTransfer(chatID: 1, fromChatID: 2, messageID: 3))
        // What the decoder refuses is refused, with the decoder's own error.
        for refused in [#"{"text": "no chat"}"#, #"{"chat_id": "@channel", "text": "x"}"#, #"{"chat_id": 1}"#, "[]"] {
            #expect(throws: DecodingError.self, "\(refused)") { try SendMessage.decode(Array(refused.utf8)) }
        }
    }
}
