import BotAPI
import BotmasterIPC
import BotmasterSystem

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

    struct Result {
        var readerNanoseconds: [Double]
        var foundationNanoseconds: [Double]
        /// Foundation's time over the reader's, per round.
        var ratios: [Double]
    }

    static func run(updates: Int, rounds: Int) throws -> Result {
        var result = Result(readerNanoseconds: [], foundationNanoseconds: [], ratios: [])
        let decoder = JSONDecoder()
        for _ in 0..<max(rounds, 1) {
            let reader = try time(updates) { try Update.decode(update) }
            let foundation = try time(updates) { try decoder.decode(Update.self, from: Data(update)) }
            result.readerNanoseconds.append(reader)
            result.foundationNanoseconds.append(foundation)
            result.ratios.append(foundation / reader)
        }
        return result
    }

    /// Nanoseconds per call of `decode`, whose update id is summed so no call is optimised away.
    private static func time(_ count: Int, _ decode: () throws -> Update) throws -> Double {
        var sum: Int64 = 0
        let started = MonotonicTime.now()
        for _ in 0..<count { sum &+= try decode().updateID }
        let elapsed = Double((MonotonicTime.now() - started).nanosecondsClamped)
        guard sum != 0 else { throw BenchmarkFleet.Failure(description: "no update decoded") }
        return elapsed / Double(count)
    }
}
