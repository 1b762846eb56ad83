/// The HTTP fleet source as `status` shows it: whether its last answer was applied, how many
/// bots the master runs from it, and why not when it failed. The master keeps running the last
/// fleet it applied while the source fails.
public struct FleetSourceStatus: Codable, Sendable, Equatable {
    /// The endpoint, without user information or query (which can carry credentials).
    public var url: String
    /// Whether the last request gave a fleet that is running now (applied, or unchanged).
    public var ok: Bool
    /// Bots defined by the source in the fleet the master runs.
    public var bots: Int
    /// Why the last request failed or its fleet was refused; `null` when `ok`.
    public var error: String?
    /// The last request, milliseconds since the epoch; `null` before the first.
    public var lastAttemptMs: Int64?
    /// The last request whose fleet is running now, milliseconds since the epoch.
    public var lastSuccessMs: Int64?
    /// Since when requests fail, milliseconds since the epoch; `null` when `ok`.
    public var failingSinceMs: Int64?
    /// Requests made, and how many of them changed the fleet.
    public var requests: Int
    public var applied: Int

    public init(
        url: String, ok: Bool = false, bots: Int = 0, error: String? = nil, lastAttemptMs: Int64? = nil,
        lastSuccessMs: Int64? = nil, failingSinceMs: Int64? = nil, requests: Int = 0, applied: Int = 0
    ) {
        self.url = url
        self.ok = ok
        self.bots = bots
        self.error = error
        self.lastAttemptMs = lastAttemptMs
        self.lastSuccessMs = lastSuccessMs
        self.failingSinceMs = failingSinceMs
        self.requests = requests
        self.applied = applied
    }

    enum CodingKeys: String, CodingKey {
        case url, ok, bots, error, requests, applied
        case lastAttemptMs = "last_attempt_ms"
        case lastSuccessMs = "last_success_ms"
        case failingSinceMs = "failing_since_ms"
    }
}
