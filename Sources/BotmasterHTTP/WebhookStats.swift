import Synchronization

/// Counters of the webhook endpoint, served at `GET /api/webhook/stats` on the status port
/// (behind the status token).
///
/// Per-bot counters exist only for bots of the fleet and only after the secret matched: a caller
/// without it cannot grow this table with names of its choosing.
public final class WebhookStats: Sendable {
    /// One bot's counters.
    public struct Counters: Codable, Sendable, Equatable {
        /// Answered 200: the worker took the update (or had it already).
        public var accepted = 0
        /// Answered 200 in cluster mode: relayed through Redis to the bot's owner on another
        /// member.
        public var relayed = 0
        public var duplicates = 0
        /// 503: worker down, busy or too slow; Telegram redelivers.
        public var unavailable = 0
        /// 400: not a JSON object.
        public var invalid = 0
        /// 413: over the body limit.
        public var tooLarge = 0

        enum CodingKeys: String, CodingKey {
            case accepted, relayed, duplicates, unavailable, invalid
            case tooLarge = "too_large"
        }
    }

    /// Everything at once, as the stats endpoint serves it.
    public struct Snapshot: Codable, Sendable, Equatable {
        /// Per bot, for bots that received an authenticated request.
        public var bots: [String: Counters]
        /// 401: missing or wrong secret, whatever bot the path named.
        public var unauthorized: Int
        /// The port's connections and what it refused.
        public var connections: WebhookConnections.Counters
    }

    private struct State {
        var bots: [String: Counters] = [:]
        var unauthorized = 0
    }

    private let state = Mutex(State())
    /// The port's connection accounting, reported beside the request counters.
    public let connections: WebhookConnections

    public init(connections: WebhookConnections) {
        self.connections = connections
    }

    func count(_ bot: String, _ change: (inout Counters) -> Void) {
        state.withLock { change(&$0.bots[bot, default: Counters()]) }
    }

    func countUnauthorized() {
        state.withLock { $0.unauthorized += 1 }
    }

    /// The counters now.
    public var snapshot: Snapshot {
        let (bots, unauthorized) = state.withLock { ($0.bots, $0.unauthorized) }
        return Snapshot(bots: bots, unauthorized: unauthorized, connections: connections.snapshot)
    }
}
