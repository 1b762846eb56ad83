import BotmasterConfig
import BotmasterSupervisor
import ServiceLifecycle

/// Asks the HTTP fleet source for the fleet every `BOTMASTER_FLEET_INTERVAL` and hands each new
/// answer to the supervisor, which applies it like a reload. An operator's reload (SIGUSR2,
/// `botmaster reload`) asks at once as well, so a change made at the source needs no wait for
/// the next interval.
public struct FleetSourceService: Service {
    private let poller: FleetSourcePoller
    private let interval: Duration

    /// - Parameter etag: the ETag of the answer the master started with, if any.
    public init(client: FleetSourceClient, supervisor: Supervisor, interval: Duration, etag: String?) async {
        let poller = FleetSourcePoller(client: client, supervisor: supervisor, etag: etag)
        self.poller = poller
        self.interval = interval
        await supervisor.setFleetSourceRefresh { await poller.ask() }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await poller.ask()
        }
        await poller.shutdown()
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

/// The requests to the source, one at a time (the timer's and an operator's reload's never
/// overlap), with the ETag of the fleet running: `If-None-Match` makes an unchanged fleet cost
/// the source a `304`; an answer that failed or was refused leaves its ETag untaken, so it is
/// asked for (and reported) again.
actor FleetSourcePoller {
    private let client: FleetSourceClient
    private let supervisor: Supervisor
    private var etag: String?
    /// The last request asked for; the next one starts after it.
    private var asking: Task<FleetSourceOutcome, Never>?

    init(client: FleetSourceClient, supervisor: Supervisor, etag: String?) {
        self.client = client
        self.supervisor = supervisor
        self.etag = etag
    }

    /// Asks the source and applies its answer. A caller arriving while a request runs waits
    /// for it and then asks again: that request may have left before the change the caller
    /// wants to see.
    @discardableResult
    func ask() async -> FleetSourceOutcome {
        let previous = asking
        let task = Task {
            _ = await previous?.value
            return await self.request()
        }
        asking = task
        return await task.value
    }

    private func request() async -> FleetSourceOutcome {
        let supervisor = self.supervisor
        let (outcome, newETag) = await FleetSourceService.ask(client, etag: etag) { bots in await supervisor.takeFleetSource(bots) }
        if case .failed = outcome {} else { etag = newETag ?? etag }
        await supervisor.recordFleetSource(outcome)
        return outcome
    }

    func shutdown() async {
        await client.shutdown()
    }
}
