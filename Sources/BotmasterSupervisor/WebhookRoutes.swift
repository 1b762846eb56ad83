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
    /// Where a delivery for one bot can go.
    public enum Target: Sendable {
        /// No bot of that id in the fleet (or it is a plain process, not a bot runtime): 404.
        case unknownBot
        /// A bot that polls: its webhook URL delivers nothing (404).
        case pollingBot
        /// A webhook bot whose worker cannot take updates now (not started yet, restarting,
        /// stopping, disabled): 503.
        case unavailable
        /// The channel of its running worker.
        case ready(any Channel)
    }

    /// One bot's published route; the channel is compared by identity.
    enum Route: Equatable {
        case pollingBot
        case unavailable
        case ready(any Channel)

        static func == (lhs: Route, rhs: Route) -> Bool {
            switch (lhs, rhs) {
            case (.pollingBot, .pollingBot), (.unavailable, .unavailable): true
            case (.ready(let left), .ready(let right)): left === right
            default: false
            }
        }

        var target: Target {
            switch self {
            case .pollingBot: .pollingBot
            case .unavailable: .unavailable
            case .ready(let channel): .ready(channel)
            }
        }
    }

    private let table: Mutex<[String: Route]>

    /// Routes for `fleet` with no worker running yet: every bot, enabled or not, is known.
    public init(fleet: [WorkerDefinition]) {
        table = Mutex(Self.initialRoutes(fleet))
    }

    /// Where a delivery for `id` goes now.
    public func target(for id: String) -> Target {
        table.withLock { $0[id] }?.target ?? .unknownBot
    }

    static func initialRoutes(_ fleet: [WorkerDefinition]) -> [String: Route] {
        var routes: [String: Route] = [:]
        for definition in fleet {
            guard let bot = definition.bot else { continue }
            routes[definition.id] = bot.mode == .polling ? .pollingBot : .unavailable
        }
        return routes
    }

    func set(_ id: String, _ route: Route?) {
        table.withLock { $0[id] = route }
    }

    func replaceAll(_ routes: [String: Route]) {
        table.withLock { $0 = routes }
    }

    func current(_ id: String) -> Route? {
        table.withLock { $0[id] }
    }
}
