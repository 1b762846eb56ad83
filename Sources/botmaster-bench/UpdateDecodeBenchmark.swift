import BotAPI
import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Decoding a webhook update, the worker's largest single cost per update before the
/// hand-written reader: nanoseconds per update with ``JSONReadable/decode(_:)`` (the reader,
/// `JSONDecoder` only where it gives up) and with Foundation's `JSONDecoder`, interleaved in
/// rounds so the two compare as a ratio on a noisy machine.
enum UpdateDecodeBenchmark {
    /// A private-chat text message as Telegram delivers it, with the sender's fields.
    static let update = Array(
        #"{"update_id":918273645,"message":{"message_id":4711,"from":{"id":123456789,"is_bot":false,"first_name":"Анна","username":"anna","language_code":"ru"},"chat":{"id":123456789,"first_name":"Анна","username":"anna","type":"private"},"date":1732500000,"text":"Здравствуйте! Когда откроется запись?"}}"#
            .utf8)

    static func run(updates: Int, rounds: Int) throws -> CodecComparison {
        let decoder = JSONDecoder()
        return try CodecComparison.run(
            calls: updates, rounds: rounds, handWritten: { Int(try Update.decode(update).updateID) },
            foundation: { Int(try decoder.decode(Update.self, from: Data(update)).updateID) })
    }
}
