import BotmasterControl
import BotmasterSystem
import Glibc

/// Waits, after an operator's request about one bot, until the bot is where it was asked to be,
/// reading its status row: so that `restart <id>` returns once the new worker runs (or fails
/// with the reason it did not), as `supervisorctl restart` does.
struct BotWaiter {
    let context: FleetContext
    let id: String
    /// `--wait` seconds, or `nil` for the bot's stop and start timeouts plus 15 s.
    let waitSeconds: Int?

    /// The bot's row now, or `nil` when the master does not know it.
    func row() throws(CLIFailure) -> WorkerStatus? {
        try context.fetchStatus(only: id).workers.first { $0.id == id }
    }

    /// Until a worker other than `previousPID` has run for a second (as supervisord's
    /// `startsecs`: a worker that says hello and dies at once did not start). Fails when the bot
    /// gives up (`errored`) or when its new worker ended again, with the reason.
    func untilRunning(replacing previousPID: Int32?) throws(CLIFailure) -> WorkerStatus {
        var sawNewWorker = false
        var runningSince: MonotonicTime?
        return try poll { row throws(CLIFailure) in
            if let pid = row.pid, pid != previousPID { sawNewWorker = true }
            if row.state == "running", row.pid != nil, row.pid != previousPID {
                let since = runningSince ?? .now()
                runningSince = since
                return MonotonicTime.now() - since >= Self.settle
            }
            runningSince = nil
            switch row.state {
            case "errored":
                throw CLIFailure(
                    "bot \(id) gave up after too many restarts: \(row.lastExit ?? "no exit recorded"); see `botmaster logs \(id)`")
            case "backoff" where sawNewWorker:
                throw CLIFailure(
                    "bot \(id) started but its worker ended: \(row.lastExit ?? "no exit recorded"); see `botmaster logs \(id)`")
            case WorkerStatus.disabledState:
                throw CLIFailure("bot \(id) is disabled; `botmaster enable \(id)` starts it")
            default: return false
            }
        }
    }

    /// How long a new worker must stay up to count as started.
    static let settle = Duration.seconds(1)

    /// Until no worker of the bot runs.
    func untilStopped() throws(CLIFailure) -> WorkerStatus {
        try poll { row in ["stopped", "errored", WorkerStatus.disabledState].contains(row.state) }
    }

    private func poll(_ arrived: (WorkerStatus) throws(CLIFailure) -> Bool) throws(CLIFailure) -> WorkerStatus {
        let deadline = MonotonicTime.now() + timeout
        var last: WorkerStatus?
        while MonotonicTime.now() < deadline {
            guard let row = try row() else { throw CLIFailure("bot \(id) is no longer in the fleet") }
            if try arrived(row) { return row }
            last = row
            usleep(100_000)
        }
        let state = last.map { "it is \($0.state)" + ($0.lastExit.map { ", last exit: \($0)" } ?? "") } ?? "no status"
        throw CLIFailure("bot \(id) did not get there within \(timeout.seconds) s (\(state)); see `botmaster logs \(id)`")
    }

    private var timeout: Duration {
        if let waitSeconds { return .seconds(waitSeconds) }
        let limits = (try? context.load().get())?.1.workers.first { $0.id == id }?.limits
        return (limits.map { $0.stopTimeout + $0.startTimeout } ?? .seconds(120)) + .seconds(15)
    }
}

extension Duration {
    /// Whole seconds, for messages.
    fileprivate var seconds: Int64 { components.seconds }
}
