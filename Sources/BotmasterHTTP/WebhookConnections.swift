import BotmasterConfig
import Synchronization

/// The webhook port's connections: who may connect, how many from one address, and what was
/// refused. Shared by every connection's ``WebhookConnectionGuard``.
public final class WebhookConnections: Sendable {
    /// What the port refused and cut off, for `/api/webhook/stats` and `/metrics`.
    public struct Counters: Codable, Sendable, Equatable {
        /// Connections open now.
        public var open = 0
        /// Closed at once: the source address is outside `WEBHOOK_ALLOWED_NETWORKS`.
        public var refusedByAllowlist = 0
        /// Closed at once: the source address already held its share of connections.
        public var refusedPerAddress = 0
        /// Closed because a request's body did not arrive within `WEBHOOK_READ_TIMEOUT`.
        public var readTimeouts = 0

        enum CodingKeys: String, CodingKey {
            case open
            case refusedByAllowlist = "refused_by_allowlist"
            case refusedPerAddress = "refused_per_address"
            case readTimeouts = "read_timeouts"
        }
    }

    /// The verdict on a new connection.
    enum Admission: Equatable {
        /// Admitted under this address key; pass it to ``release(_:)`` when it closes.
        case admitted(String)
        case refused
    }

    private struct State {
        var perAddress: [String: Int] = [:]
        var counters = Counters()
    }

    private let allowlist: NetworkAllowlist?
    private let maximumPerAddress: Int
    private let state = Mutex(State())

    /// - Parameters:
    ///   - allowedNetworks: source networks allowed to connect; empty allows every source.
    ///   - maximumPerAddress: connections one source address may hold at once.
    public init(allowedNetworks: [String], maximumPerAddress: Int) {
        self.allowlist = allowedNetworks.isEmpty ? nil : NetworkAllowlist(allowedNetworks)
        self.maximumPerAddress = maximumPerAddress
    }

    /// Admits a connection from `address` (nil: not an IP connection, admitted as is) or refuses it.
    func admit(_ address: String?) -> Admission {
        let key = address ?? "-"
        if let allowlist {
            guard let address, allowlist.allows(address) else {
                state.withLock { $0.counters.refusedByAllowlist += 1 }
                return .refused
            }
        }
        return state.withLock { state in
            let held = state.perAddress[key, default: 0]
            guard held < maximumPerAddress else {
                state.counters.refusedPerAddress += 1
                return .refused
            }
            state.perAddress[key] = held + 1
            state.counters.open += 1
            return .admitted(key)
        }
    }

    /// A connection admitted under `key` closed.
    func release(_ key: String) {
        state.withLock { state in
            state.counters.open -= 1
            let held = state.perAddress[key, default: 1] - 1
            state.perAddress[key] = held > 0 ? held : nil
        }
    }

    func countReadTimeout() {
        state.withLock { $0.counters.readTimeouts += 1 }
    }

    /// The counters now.
    public var snapshot: Counters { state.withLock { $0.counters } }
}
