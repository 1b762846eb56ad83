/// What `GET /api/history` (the fleet) and `GET /api/workers/<id>/history` (one bot) answer:
/// the last samples of the master's history for the dashboard's sparklines, oldest first.
public struct HistorySeries: Codable, Sendable, Equatable {
    /// One interval of one bot, or of the fleet summed.
    public struct Sample: Codable, Sendable, Equatable {
        /// The end of the interval, Unix milliseconds.
        public var atMs: Int64
        /// Messages handled during the interval.
        public var messages: UInt64
        /// Errors during the interval.
        public var errors: UInt64
        /// Proportional memory at the end (the fleet: the sum of its bots'); `nil` when unknown.
        public var pssBytes: UInt64?
        /// CPU over the last memory interval, percent of one core; `nil` when unknown.
        public var cpuPercent: Double?

        public init(atMs: Int64, messages: UInt64, errors: UInt64, pssBytes: UInt64?, cpuPercent: Double?) {
            self.atMs = atMs
            self.messages = messages
            self.errors = errors
            self.pssBytes = pssBytes
            self.cpuPercent = cpuPercent
        }

        enum CodingKeys: String, CodingKey {
            case messages, errors
            case atMs = "at_ms", pssBytes = "pss_bytes", cpuPercent = "cpu_percent"
        }
    }

    /// The time between two samples.
    public var intervalMs: Int64
    /// Oldest first.
    public var samples: [Sample]

    public init(intervalMs: Int64, samples: [Sample]) {
        self.intervalMs = intervalMs
        self.samples = samples
    }

    enum CodingKeys: String, CodingKey {
        case samples
        case intervalMs = "interval_ms"
    }
}
