import BotAPI
import BotmasterIPC
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The Bot API request bodies are written by hand; each must be what its `Encodable`
/// conformance describes, read back by `JSONDecoder` (and so by Telegram) as the same value.
@Suite struct RequestJSONTests {
    static func roundTrip<T: JSONWritable & Codable & Equatable>(_ value: T) throws {
        let written = value.jsonBytes
        #expect(try JSONDecoder().decode(T.self, from: Data(written)) == value, "\(String(decoding: written, as: UTF8.self))")
        // The same keys as JSONEncoder writes: no parameter added or renamed.
        let keys = { (bytes: [UInt8]) in
            Set((try? JSONDecoder().decode([String: JSONValue].self, from: Data(bytes)))?.keys.map { $0 } ?? ["-"])
        }
        #expect(keys(written) == keys(Array(try JSONEncoder().encode(value))))
    }

    @Test func everyRequestReadsBackAsItself() throws {
        let awkward = "Привет \"quoted\" back\\slash /slash\n\t\u{01}\u{1F}\u{7F} 🎉"
        try Self.roundTrip(SendMessage(chatID: -1_001_234_567_890, text: awkward))
        try Self.roundTrip(
            SendMessage(
                chatID: 42, text: "", replyParameters: ReplyParameters(messageID: 7, allowSendingWithoutReply: nil), parseMode: "HTML"))
        try Self.roundTrip(SendMessage(chatID: .min, text: "x", replyParameters: ReplyParameters(messageID: .max)))
        try Self.roundTrip(GetUpdates())
        try Self.roundTrip(GetUpdates(offset: 1_795_576_900_881, limit: 100, timeout: 30, allowedUpdates: ["message", "edited_message"]))
        try Self.roundTrip(GetUpdates(offset: -1, allowedUpdates: []))
        try Self.roundTrip(MessageTransfer(chatID: 1, fromChatID: -2, messageID: 3))
        try Self.roundTrip(SetWebhook(url: "https://bots.example/webhook/a?b=c&d", secretToken: "s3cr3t", allowedUpdates: ["message"]))
        try Self.roundTrip(SetWebhook(url: "http://x", dropPendingUpdates: false))
        try Self.roundTrip(DeleteWebhook())
        try Self.roundTrip(DeleteWebhook(dropPendingUpdates: true))
        try Self.roundTrip(NoParameters())
    }

    @Test func absentParametersAreLeftOutAndFieldsAreSeparatedOnce() {
        #expect(String(decoding: GetUpdates().jsonBytes, as: UTF8.self) == "{}")
        #expect(String(decoding: GetUpdates(timeout: 5).jsonBytes, as: UTF8.self) == #"{"timeout":5}"#)
        #expect(
            String(decoding: SendMessage(chatID: 1, text: "a", replyParameters: ReplyParameters(messageID: 2)).jsonBytes, as: UTF8.self)
                == #"{"chat_id":1,"text":"a","reply_parameters":{"message_id":2,"allow_sending_without_reply":true}}"#)
    }
}
