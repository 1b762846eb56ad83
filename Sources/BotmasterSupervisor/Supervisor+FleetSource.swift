import BotmasterConfig
import BotmasterControl
import BotmasterSystem
import Logging

/// What one request to the HTTP fleet source came to.
public enum FleetSourceOutcome: Sendable, Equatable {
    /// The source's fleet is the one running (a `304`, or the same bots again).
    case unchanged
    /// The source's new fleet was applied like a reload.
    case applied(ReloadSummary)
    /// No fleet was taken: why (the request failed, or its fleet was invalid); the last good
    /// fleet keeps running.
    case failed(String)
}

// The HTTP fleet source on the supervisor's side: its bots join the files' bots, a new answer
// is applied like a reload (only the bots that changed restart), and a failed or invalid one
// changes nothing. `FleetSourceService` asks the source and hands the answers here.
extension Supervisor {
    /// Takes the bots of a new answer of the source: checked together with `workers/` as
    /// `check` would, then applied. Any problem, and the running fleet stays as it is.
    public func takeFleetSource(_ bots: [SourcedBot]) async -> FleetSourceOutcome {
        guard !shuttingDown else { return .failed("the master is shutting down") }
        if bots == sourcedBots { return .unchanged }
        let problems = problems(of: loadFleet(sourced: bots))
        guard problems.isEmpty else { return .failed(ConfigProblems(problems).summary) }
        let previous = sourcedBots
        sourcedBots = bots
        switch await reload(trigger: "fleet source") {
        case .success(let summary):
            return .applied(summary)
        case .failure(let problems):
            sourcedBots = previous
            return .failed(problems.summary)
        }
    }

    /// Sets how an operator's reload asks the fleet source before it reads `workers/`.
    public func setFleetSourceRefresh(_ refresh: @escaping @Sendable () async -> FleetSourceOutcome) {
        fleetSourceRefresh = refresh
    }

    /// The reload an operator asks for (SIGUSR2, `botmaster reload`): the fleet source, when
    /// there is one, is asked first, so a changed file and a change made at the source both
    /// apply now. The summary covers both.
    public func operatorReload(trigger: String) async -> Result<ReloadSummary, ConfigProblems> {
        let sourced = await fleetSourceRefresh?()
        let result = await reload(trigger: trigger)
        // The source's answer was applied by a reload of its own: fold its changes in, or the
        // operator would read them as "unchanged".
        guard case .success(var summary) = result, case .applied(let changes)? = sourced else { return result }
        summary.fold(changes)
        return .success(summary)
    }

    /// Records a request's outcome for status and metrics, and logs the changes of state (a
    /// failure that starts or changes its reason, a recovery), not every request.
    public func recordFleetSource(_ outcome: FleetSourceOutcome, atMs now: Int64 = WallClock.nowMilliseconds()) {
        guard var status = fleetSource else { return }
        status.requests += 1
        status.lastAttemptMs = now
        switch outcome {
        case .unchanged, .applied:
            if status.error != nil {
                logger.notice("fleet source answers again", metadata: ["url": "\(status.url)", "bots": "\(sourcedBots.count)"])
            }
            if case .applied(let summary) = outcome {
                status.applied += 1
                logger.notice("fleet source applied", metadata: ["url": "\(status.url)", "changes": "\(summary)"])
            }
            status.ok = true
            status.error = nil
            status.failingSinceMs = nil
            status.lastSuccessMs = now
            SupervisorMetrics.fleetSourceRequested(result: outcome == .unchanged ? "unchanged" : "applied")
        case .failed(let reason):
            if status.error != reason {
                logger.error(
                    "fleet source failed; the last good fleet keeps running",
                    metadata: ["url": "\(status.url)", "reason": "\(reason)", "bots": "\(sourcedBots.count)"])
            }
            if status.ok || status.failingSinceMs == nil { status.failingSinceMs = now }
            status.ok = false
            status.error = reason
            SupervisorMetrics.fleetSourceRequested(result: "failed")
        }
        status.bots = sourcedBots.count
        fleetSource = status
    }
}
