import BotmasterSystem

/// A hand-written codec against Foundation's on the same document: nanoseconds per call of
/// each, interleaved in rounds so the two compare as a ratio on a noisy machine.
struct CodecComparison {
    var handWrittenNanoseconds: [Double] = []
    var foundationNanoseconds: [Double] = []
    /// Foundation's time over the hand-written codec's, per round.
    var ratios: [Double] = []

    /// - Parameters:
    ///   - handWritten, foundation: one call each; what they return is summed, so that no call
    ///     is optimised away (and a sum of 0 means nothing was read or written).
    static func run(calls: Int, rounds: Int, handWritten: () throws -> Int, foundation: () throws -> Int) throws -> CodecComparison {
        var result = CodecComparison()
        for _ in 0..<max(rounds, 1) {
            let fast = try nanosecondsPerCall(calls, handWritten)
            let slow = try nanosecondsPerCall(calls, foundation)
            result.handWrittenNanoseconds.append(fast)
            result.foundationNanoseconds.append(slow)
            result.ratios.append(slow / fast)
        }
        return result
    }

    private static func nanosecondsPerCall(_ count: Int, _ call: () throws -> Int) throws -> Double {
        var sum = 0
        let started = MonotonicTime.now()
        for _ in 0..<count { sum &+= try call() }
        let elapsed = Double((MonotonicTime.now() - started).nanosecondsClamped)
        guard sum != 0 else { throw BenchmarkFleet.Failure(description: "a codec benchmark read or wrote nothing") }
        return elapsed / Double(count)
    }
}
