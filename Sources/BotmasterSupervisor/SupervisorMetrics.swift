import Metrics

/// The supervisor's event counters, through swift-metrics: the executable decides where they
/// go (Prometheus, in `botmaster`). Gauges that describe the fleet now (workers by state,
/// memory, heartbeat age) are read from the status at scrape time instead.
enum SupervisorMetrics {
    /// Bots joined the fleet: their counters exist from 0 on, so that `increase()` sees a first
    /// restart or drop (a counter born at 1 hides it). Registering one that exists already (a
    /// restart counted first) changes nothing.
    static func botsJoined(_ bots: [String]) {
        for bot in bots {
            for reason in ExitReason.kinds {
                _ = Counter(label: "botmaster_worker_restarts_total", dimensions: [("bot", bot), ("reason", reason)])
            }
            _ = Counter(label: "botmaster_worker_log_dropped_bytes_total", dimensions: [("bot", bot)])
        }
    }

    /// A worker ended and a restart was scheduled.
    static func restartScheduled(bot: String, reason: ExitReason) {
        Counter(label: "botmaster_worker_restarts_total", dimensions: [("bot", bot), ("reason", reason.kind)]).increment()
    }

    /// Output of a worker over its `log_rate` was dropped.
    static func logDropped(bot: String, bytes: Int) {
        Counter(label: "botmaster_worker_log_dropped_bytes_total", dimensions: [("bot", bot)]).increment(by: bytes)
    }

    /// A reload finished, applied or rejected.
    static func reloaded(applied: Bool) {
        Counter(label: "botmaster_reloads_total", dimensions: [("result", applied ? "applied" : "rejected")]).increment()
    }

    /// A request to the HTTP fleet source ended: `applied`, `unchanged` or `failed`.
    static func fleetSourceRequested(result: String) {
        Counter(label: "botmaster_fleet_source_requests_total", dimensions: [("result", result)]).increment()
    }

    /// Cluster mode: a worker's store refused a step because another master took the bot.
    static func fencingRefused() {
        Counter(label: "botmaster_cluster_fencing_refusals_total").increment()
    }
}
