import BotmasterConfig
import BotmasterSupervisor
import ServiceLifecycle

/// Asks the HTTP fleet source for the fleet every `BOTMASTER_FLEET_INTERVAL` and hands each new
/// answer to the supervisor, which applies it like a reload. `If-None-Match` carries the ETag of
/// the fleet running, so an unchanged fleet costs the source a `304`; an answer that failed or
/// was refused leaves its ETag untaken, so it is asked for (and reported) again.
public struct FleetSourceService: Service {
    private let client: FleetSourceClient
    private let supervisor: Supervisor
    private let interval: Duration
    private let initialETag: String?

    /// - Parameter etag: the ETag of the answer the master started with, if any.
    public init(client: FleetSourceClient, supervisor: Supervisor, interval: Duration, etag: String?) {
        self.client = client
        self.supervisor = supervisor
        self.interval = interval
        self.initialETag = etag
    }

    public func run() async throws {
        var etag = initialETag
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            let (outcome, newETag) = await Self.ask(client, etag: etag) { bots in await supervisor.takeFleetSource(bots) }
            if case .failed = outcome {} else { etag = newETag ?? etag }
            await supervisor.recordFleetSource(outcome)
        }
        await client.shutdown()
    }

    /// One request: its outcome once `take` had the bots of a new answer, and that answer's
    /// ETag.
    static func ask(
        _ client: FleetSourceClient, etag: String?, take: ([SourcedBot]) async -> FleetSourceOutcome
    ) async -> (FleetSourceOutcome, etag: String?) {
        switch await client.fetch(etag: etag) {
        case .unchanged:
            return (.unchanged, etag)
        case .failed(let reason):
            return (.failed(reason), nil)
        case .document(let bytes, let newETag):
            switch FleetSourceDocument.parse(bytes) {
            case .failure(let problems):
                return (.failed(problems.summary), nil)
            case .success(let bots):
                return (await take(bots), newETag)
            }
        }
    }
}
