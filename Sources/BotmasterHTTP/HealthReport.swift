import BotmasterControl

/// `GET /health`: healthy when the master serves and no bot is `errored`.
struct HealthReport: Encodable, Equatable {
    /// `ok` or `unhealthy`.
    var status: String
    var workersTotal: Int
    var workersRunning: Int
    /// Why it is unhealthy; empty when healthy.
    var reasons: [String]

    enum CodingKeys: String, CodingKey {
        case status
        case workersTotal = "workers_total"
        case workersRunning = "workers_running"
        case reasons
    }

    init(_ fleet: FleetStatus) {
        reasons = fleet.workers.filter { $0.state == "errored" }.map { "bot \($0.id) is errored (\($0.lastExit ?? "gave up"))" }
        status = reasons.isEmpty ? "ok" : "unhealthy"
        workersTotal = fleet.master.workersTotal
        workersRunning = fleet.master.workersRunning
    }

    var isHealthy: Bool { reasons.isEmpty }
}
