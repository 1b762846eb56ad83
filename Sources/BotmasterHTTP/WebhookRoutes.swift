import BotmasterSupervisor
import BotmasterSystem
import Synchronization

/// Where each bot's webhook deliveries go, remembered for a moment.
///
/// Asking the supervisor actor on every delivery costs two thread hops per request on the
/// hottest path; a bot's channel changes only when its worker restarts. A stale answer lasts
/// at most ``lifetime``: a write to a channel that closed meanwhile fails at once (503), and a
/// new worker is found within the lifetime.
final class WebhookRoutes: Sendable {
    static let lifetime: Duration = .milliseconds(100)

    private let supervisor: Supervisor
    private let cache = Mutex<[String: (target: Supervisor.WebhookTarget, until: MonotonicTime)]>([:])

    init(supervisor: Supervisor) {
        self.supervisor = supervisor
    }

    func target(for bot: String) async -> Supervisor.WebhookTarget {
        let now = MonotonicTime.now()
        if let cached = cache.withLock({ $0[bot] }), cached.until > now { return cached.target }
        let target = await supervisor.webhookTarget(for: bot)
        if case .unknownBot = target { return target }  // unknown names are not kept: no growth from junk paths
        cache.withLock { $0[bot] = (target, now + Self.lifetime) }
        return target
    }
}
