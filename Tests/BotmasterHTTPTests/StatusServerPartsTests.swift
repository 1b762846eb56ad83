import BotmasterControl
import Hummingbird
import Testing

@testable import BotmasterHTTP

@Suite struct StatusServerPartsTests {
    @Test func tokenComparisonNeedsEveryByteAndTheLength() {
        let expected = Array("s3cret".utf8)
        #expect(ConstantTime.equals(Array("s3cret".utf8), expected))
        #expect(!ConstantTime.equals(Array("s3cre".utf8), expected))
        #expect(!ConstantTime.equals(Array("s3cret!".utf8), expected))
        #expect(!ConstantTime.equals(Array("S3cret".utf8), expected))
        #expect(!ConstantTime.equals([], expected))
    }

    @Test func healthIsUnhealthyExactlyWhenABotIsErrored() {
        func fleet(_ states: [String]) -> FleetStatus {
            FleetStatus(
                master: MasterStatus(pid: 1, uptimeMs: 1, version: "v", workersTotal: states.count, workersRunning: 0),
                workers: states.enumerated().map { index, state in
                    WorkerStatus(
                        id: "b\(index)", pid: nil, state: state, restarts: 0, lastExit: state == "errored" ? "exit 3" : nil,
                        uptimeMs: nil, rssBytes: nil, messages: 0, errors: 0, lastHeartbeatMsAgo: nil)
                })
        }
        #expect(HealthReport(fleet(["running", "backoff", "stopped"])).isHealthy)
        let sick = HealthReport(fleet(["running", "errored"]))
        #expect(!sick.isHealthy)
        #expect(sick.status == "unhealthy")
        #expect(sick.reasons == ["bot b1 is errored (exit 3)"])
    }
}
