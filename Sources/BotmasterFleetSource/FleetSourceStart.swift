import BotmasterConfig
import BotmasterSupervisor

/// The fleet source's first answer, asked for before the fleet starts so that its bots start
/// with the others. If it fails, the master starts with `workers/` alone and keeps asking.
public struct FleetSourceStart: Sendable {
    /// The source's bots to start with (none when the first answer failed or was refused).
    public var bots: [SourcedBot] = []
    /// The answer's ETag, for the next request's `If-None-Match`.
    public var etag: String?
    /// What the first request came to, for status.
    public var outcome: FleetSourceOutcome

    /// Asks once. `validate` returns the problems of the whole fleet with these bots in it
    /// (duplicate ids with `workers/`, settings the master lacks); any, and none are taken.
    public static func ask(
        _ client: FleetSourceClient, validate: ([SourcedBot]) -> [ConfigProblem]
    ) async -> FleetSourceStart {
        var taken: [SourcedBot] = []
        let (outcome, etag) = await FleetSourceService.ask(client, etag: nil) { bots in
            let problems = validate(bots)
            guard problems.isEmpty else { return .failed(ConfigProblems(problems).summary) }
            taken = bots
            var summary = ReloadSummary()
            summary.started = bots.map(\.definition.id)
            return .applied(summary)
        }
        if case .failed = outcome { return FleetSourceStart(outcome: outcome) }
        return FleetSourceStart(bots: taken, etag: etag, outcome: outcome)
    }
}
