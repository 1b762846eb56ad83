import BotmasterConfig
import NIOCore
import Synchronization

/// Where the webhook endpoint sends a delivery for each bot, kept by the supervisor and read by
/// the HTTP threads without a hop onto the supervisor actor.
///
/// It is filled from the fleet definition before any worker starts, so a delivery that arrives
/// while a restarted master is still cleaning up or spawning gets 503 (Telegram redelivers),
/// never 404 (Telegram drops it).
public final class WebhookRoutes: Sendable {
    /// Where a delivery for one bot can go; equal channels are the same channel.
    public enum Target: Sendable, Equatable {
        /// No bot of that id in the fleet (or it is a plain process, not a bot runtime): 404.
        /// Never stored: an id missing from the table is this.
        case unknownBot
        /// A bot that polls: its webhook URL delivers nothing (404).
        case pollingBot
        /// A webhook bot whose worker cannot take updates now (not started yet, restarting,
        /// stopping, disabled): 503.
        case unavailable
        /// The channel of its running worker.
        case ready(any Channel)
        /// Cluster mode: a webhook bot whose worker does not run here (another member owns it,
        /// or it is between owners, or restarting): the delivery goes into its queue in Redis
        /// (``WebhookRelay``), where its owner's worker takes it.
        case relayed

        public static func == (lhs: Target, rhs: Target) -> Bool {
            switch (lhs, rhs) {
            case (.unknownBot, .unknownBot), (.pollingBot, .pollingBot), (.unavailable, .unavailable), (.relayed, .relayed): true
            case (.ready(let left), .ready(let right)): left === right
            default: false
            }
        }
    }

    private let table: Mutex<[String: Target]>

    /// Routes for `fleet` with no worker running yet: every bot, enabled or not, is known.
    public init(fleet: [WorkerDefinition]) {
        table = Mutex(Self.initialRoutes(fleet))
    }

    /// Where a delivery for `id` goes now.
    public func target(for id: String) -> Target {
        table.withLock { $0[id] } ?? .unknownBot
    }

    static func initialRoutes(_ fleet: [WorkerDefinition]) -> [String: Target] {
        var routes: [String: Target] = [:]
        for definition in fleet {
            guard let bot = definition.bot else { continue }
            routes[definition.id] = bot.mode == .polling ? .pollingBot : .unavailable
        }
        return routes
    }

    func set(_ id: String, _ route: Target?) {
        table.withLock { $0[id] = route }
    }

    func replaceAll(_ routes: [String: Target]) {
        table.withLock { $0 = routes }
    }

    func current(_ id: String) -> Target? {
        table.withLock { $0[id] }
    }
}
