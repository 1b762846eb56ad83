/// Cluster mode, from the environment: `BOTMASTER_CLUSTER=1` makes this master one member of a
/// fleet spread over several hosts that share one Redis (`REDIS_URL`, `BOTMASTER_FLEET`).
/// `BOTMASTER_NODE` names this member (default: the host name), `BOTMASTER_LEASE_TTL` is how
/// long a bot's lease lives without renewal (default 15s) and `BOTMASTER_NODE_ADDRESS` is what
/// status shows as the member's address (default: the status API's host and port).
public struct ClusterSettings: Sendable, Equatable {
    /// This member's name: unique in the fleet.
    public var node: String
    /// How long a lease (and a membership) lives without renewal; a dead member's bots are
    /// taken over after about this long.
    public var leaseTTL: Duration = .seconds(15)
    /// What status shows as this member's address.
    public var address: String?

    public init(node: String) {
        self.node = node
    }

    /// How often membership and leases are renewed: five renewals per TTL, so a few lost ones
    /// cost nothing.
    public var renewInterval: Duration { leaseTTL / 5 }

    /// How long after its last successful renewal a member that cannot reach Redis stops its
    /// bots: early enough that they have stopped before any lease can expire and another
    /// member can take the bot (the TTL minus a safety margin of a fifth of it, at least 2 s).
    public var selfFenceAfter: Duration { leaseTTL - max(leaseTTL / 5, .seconds(2)) }

    static func from(environment: [String: String], hostName: String, problem: (String, String) -> Void) -> ClusterSettings? {
        guard let flag = environment["BOTMASTER_CLUSTER"], !flag.isEmpty, flag != "0" else { return nil }
        guard flag == "1" || flag == "true" else {
            problem("BOTMASTER_CLUSTER", "\"\(flag)\" is not 1 or 0")
            return nil
        }
        let node = environment["BOTMASTER_NODE"].flatMap { $0.isEmpty ? nil : $0 } ?? hostName
        var settings = ClusterSettings(node: node)
        if node.isEmpty || node.utf8.count > 64 || !node.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) {
            problem("BOTMASTER_NODE", "\"\(node)\" is not a node name (letters, digits, - _ . ; at most 64)")
        }
        if let text = environment["BOTMASTER_LEASE_TTL"] {
            if let ttl = DurationText.parse(text), ttl >= .seconds(3), ttl <= .seconds(300) {
                settings.leaseTTL = ttl
            } else {
                problem("BOTMASTER_LEASE_TTL", "\"\(text)\" is not a duration from 3s to 300s")
            }
        }
        if let address = environment["BOTMASTER_NODE_ADDRESS"], !address.isEmpty { settings.address = address }
        if (environment["REDIS_URL"] ?? "").isEmpty {
            problem("BOTMASTER_CLUSTER", "cluster mode needs REDIS_URL: the members share one Redis")
        }
        return settings
    }
}
