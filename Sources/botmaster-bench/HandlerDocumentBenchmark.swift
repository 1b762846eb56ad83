import BotEngine
import BotmasterIPC
import BotmasterSystem
import NIOCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `http` handler's own work per job besides its HTTP exchange: writing the request
/// document and reading the backend's answer, with the hand-written codec (``JSONWriter``,
/// ``JSONReadable/decode(_:)-(ByteBuffer)``) and with Foundation's `JSONEncoder` and
/// `JSONDecoder`, interleaved in rounds so the two compare as a ratio on a noisy machine.
enum HandlerDocumentBenchmark {
    /// A private chat's two rapid-fire messages, as the engine hands them to a handler.
    static let request =
        #"{"bot":"support","chat":{"id":123456789,"type":"private"},"user":{"id":123456789,"first_name":"Анна","username":"anna"},"#
        + #""text":"Здравствуйте!\nКогда откроется запись?","messages":[{"update_id":918273645,"message_id":4711,"text":"Здравствуйте!"},"#
        + #"{"update_id":918273646,"message_id":4712,"text":"Когда откроется запись?"}]}"#
    /// A backend's answer.
    static let answer = #"{"reply":"Запись откроется в понедельник в 10:00.","handoff":false}"#

    struct Result {
        var codecNanoseconds: [Double]
        var foundationNanoseconds: [Double]
        /// Foundation's time over the codec's, per round.
        var ratios: [Double]
    }

    static func run(jobs: Int, rounds: Int) throws -> Result {
        let request = try JSONDecoder().decode(HandlerRequest.self, from: Data(Self.request.utf8))
        let answer = ByteBuffer(string: Self.answer)
        let encoder = JSONEncoder()
        let decoder = JSONDecoder()
        var result = Result(codecNanoseconds: [], foundationNanoseconds: [], ratios: [])
        for _ in 0..<max(rounds, 1) {
            let codec = try time(jobs) {
                let body = ByteBuffer(bytes: request.jsonBytes)
                return (body.readableBytes, try HandlerReply.decode(answer))
            }
            let foundation = try time(jobs) {
                let body = ByteBuffer(data: try encoder.encode(request))
                return (body.readableBytes, try decoder.decode(HandlerReply.self, from: Data(answer.readableBytesView)))
            }
            result.codecNanoseconds.append(codec)
            result.foundationNanoseconds.append(foundation)
            result.ratios.append(foundation / codec)
        }
        return result
    }

    /// Nanoseconds per call of `job`, whose body sizes and replies are summed so no call is
    /// optimised away.
    private static func time(_ count: Int, _ job: () throws -> (Int, HandlerReply)) throws -> Double {
        var sum = 0
        let started = MonotonicTime.now()
        for _ in 0..<count {
            let (bytes, reply) = try job()
            sum &+= bytes &+ (reply.reply?.utf8.count ?? 0)
        }
        let elapsed = Double((MonotonicTime.now() - started).nanosecondsClamped)
        guard sum != 0 else { throw BenchmarkFleet.Failure(description: "no handler document written") }
        return elapsed / Double(count)
    }
}
