import BotmasterConfig
import BotmasterFleetSource

extension FleetContext {
    /// The fleet source's first answer, checked together with `workers/` and the environment.
    /// - Returns: what the request came to; the whole fleet with the source's bots when they
    ///   were taken; and the problems that kept them out, if the answer itself was good.
    func askFleetSource(
        _ client: FleetSourceClient
    ) async -> (start: FleetSourceStart, fleet: FleetDefinition?, problems: [ConfigProblem]) {
        var joined: FleetDefinition?
        var problems: [ConfigProblem] = []
        let start = await FleetSourceStart.ask(client) { bots in
            switch load(sourced: bots) {
            case .success(let loaded): joined = loaded.1
            case .failure(let failure): problems = failure.problems
            }
            return problems
        }
        return (start, joined, problems)
    }
}
