/// Cluster mode as `status --cluster` and `GET /api/cluster/status` show it: the members seen
/// in Redis, which bots each owns with their fencing epochs, the bots no member owns yet, and
/// warnings (members whose fleet definitions differ). Read from Redis at this master's last
/// renewal, so it is at most one renew interval old.
public struct ClusterStatus: Codable, Sendable, Equatable {
    /// This master's node name.
    public var node: String
    /// The lease TTL, milliseconds.
    public var leaseTTLMs: Int64
    /// When this view was read from Redis, milliseconds since the epoch.
    public var observedMs: Int64
    /// Whether the last renewal reached Redis; when not, `error` says why.
    public var ok: Bool
    public var error: String?
    /// The live members, by node name.
    public var members: [ClusterMember]
    /// Bots of this master's fleet that no member holds a lease for now.
    public var waiting: [String]
    /// What an operator should look at, such as members with different fleets.
    public var warnings: [String]

    public init(
        node: String, leaseTTLMs: Int64, observedMs: Int64, ok: Bool, error: String? = nil, members: [ClusterMember] = [],
        waiting: [String] = [], warnings: [String] = []
    ) {
        self.node = node
        self.leaseTTLMs = leaseTTLMs
        self.observedMs = observedMs
        self.ok = ok
        self.error = error
        self.members = members
        self.waiting = waiting
        self.warnings = warnings
    }

    enum CodingKeys: String, CodingKey {
        case node, ok, error, members, waiting, warnings
        case leaseTTLMs = "lease_ttl_ms"
        case observedMs = "observed_ms"
    }
}

/// One live member of the cluster.
public struct ClusterMember: Codable, Sendable, Equatable {
    public var node: String
    /// Where to reach it (its status API), as it published.
    public var address: String
    /// Most bots it runs (its `BOTMASTER_MAX_WORKERS`).
    public var capacity: Int
    /// Its last renewal, milliseconds since the epoch (Redis server time).
    public var renewedMs: Int64
    /// A digest of its fleet definition; members that differ disagree about the bots.
    public var fleetDigest: String
    /// The bots it holds leases for, with their epochs.
    public var bots: [ClusterLease]

    public init(node: String, address: String, capacity: Int, renewedMs: Int64, fleetDigest: String, bots: [ClusterLease] = []) {
        self.node = node
        self.address = address
        self.capacity = capacity
        self.renewedMs = renewedMs
        self.fleetDigest = fleetDigest
        self.bots = bots
    }

    enum CodingKeys: String, CodingKey {
        case node, address, capacity, bots
        case renewedMs = "renewed_ms"
        case fleetDigest = "fleet_digest"
    }
}

/// A bot's lease: the bot and the fencing epoch its owner started it with.
public struct ClusterLease: Codable, Sendable, Equatable {
    public var bot: String
    public var epoch: Int64

    public init(bot: String, epoch: Int64) {
        self.bot = bot
        self.epoch = epoch
    }
}
