import BotEngine
import BotmasterIPC
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `http` handler's own work per job besides its HTTP exchange: writing the request
/// document and reading the backend's answer, with the hand-written codec (``JSONWriter``,
/// ``JSONReadable/decode(_:)-(ByteBuffer)``) and with Foundation's `JSONEncoder` and
/// `JSONDecoder` (``CodecComparison``).
enum HandlerDocumentBenchmark {
    /// A private chat's two rapid-fire messages, as the engine hands them to a handler.
    static let request =
        #"{"bot":"support","chat":{"id":123456789,"type":"private"},"user":{"id":123456789,"first_name":"Анна","username":"anna"},"#
        + #""text":"Здравствуйте!\nКогда откроется запись?","messages":[{"update_id":918273645,"message_id":4711,"text":"Здравствуйте!"},"#
        + #"{"update_id":918273646,"message_id":4712,"text":"Когда откроется запись?"}]}"#
    /// A backend's answer.
    static let answer = #"{"reply":"Запись откроется в понедельник в 10:00.","handoff":false}"#

    static func run(jobs: Int, rounds: Int) throws -> CodecComparison {
        let request = try JSONDecoder().decode(HandlerRequest.self, from: Data(Self.request.utf8))
        let answer = ByteBuffer(string: Self.answer)
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        // The body's size and the reply's, so that neither is optimised away.
        return try CodecComparison.run(
            calls: jobs, rounds: rounds,
            handWritten: {
                let body = ByteBuffer(bytes: request.jsonBytes)
                return body.readableBytes + (try HandlerReply.decode(answer).reply?.utf8.count ?? 0)
            },
            foundation: {
                let body = ByteBuffer(data: try encoder.encode(request))
                let reply = try decoder.decode(HandlerReply.self, from: Data(answer.readableBytesView))
                return body.readableBytes + (reply.reply?.utf8.count ?? 0)
            })
    }
}
