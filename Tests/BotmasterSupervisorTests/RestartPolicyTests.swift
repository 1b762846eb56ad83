import BotmasterSystem
import Testing

@testable import BotmasterSupervisor

@Suite struct RestartPolicyTests {
    func at(_ seconds: Int) -> MonotonicTime { MonotonicTime(nanoseconds: 1_000_000_000_000) + .seconds(seconds) }

    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var cooldown: Int
        var maxRestarts: Int
        var exits: [Int]
        var restarts: [Bool]  // per exit: restarted after the cooldown (true) or given up (false)
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "restarts after the cooldown", cooldown: 45, maxRestarts: 5, exits: [0], restarts: [true]),
        Case(
            name: "gives up past the limit within the hour", cooldown: 0, maxRestarts: 2, exits: [0, 10, 20],
            restarts: [true, true, false]),
        Case(
            name: "old restarts leave the rolling window", cooldown: 0, maxRestarts: 2, exits: [0, 10, 3611],
            restarts: [true, true, true]),
        Case(name: "zero restarts allowed gives up at once", cooldown: 0, maxRestarts: 0, exits: [0], restarts: [false]),
    ]

    @Test(arguments: cases)
    func decides(_ testCase: Case) {
        let policy = RestartPolicy(cooldown: .seconds(testCase.cooldown), maxRestarts: testCase.maxRestarts)
        var history = RestartHistory()
        for (exit, restarts) in zip(testCase.exits, testCase.restarts) {
            let decision = policy.decide(exitAt: at(exit), history: &history)
            let expected: RestartPolicy.Decision = restarts ? .restart(at: at(exit + testCase.cooldown)) : .giveUp
            #expect(decision == expected, "exit at \(exit)s")
        }
    }

    @Test func resetGivesAFreshAllowance() {
        let policy = RestartPolicy(cooldown: .zero, maxRestarts: 1)
        var history = RestartHistory()
        #expect(policy.decide(exitAt: at(0), history: &history) == .restart(at: at(0)))
        #expect(policy.decide(exitAt: at(1), history: &history) == .giveUp)
        history.reset()
        #expect(policy.decide(exitAt: at(2), history: &history) == .restart(at: at(2)))
    }
}
