import BotmasterControl
import BotmasterSystem
import Prometheus
import Synchronization

/// `GET /metrics`: the Prometheus text format. Event counters (restarts by bot and reason,
/// reloads) arrive in the registry through swift-metrics as they happen; the gauges that
/// describe the fleet now are set from the status document at scrape time, so they can never
/// drift from what `status` shows. Series of bots that left the fleet are removed.
final class MetricsExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let exportedBots = Mutex<Set<String>>([])

    static let workerGauges = [
        "botmaster_worker_up", "botmaster_worker_rss_bytes", "botmaster_worker_memory_limit_bytes", "botmaster_worker_messages",
        "botmaster_worker_errors", "botmaster_worker_restarts", "botmaster_worker_heartbeat_age_seconds",
        "botmaster_worker_uptime_seconds",
    ]
    /// Bot runtime gauges, from the counters in the worker's heartbeat (per process: they reset
    /// when the worker restarts, like `botmaster_worker_messages`).
    static let botGauges: [(name: String, value: @Sendable (BotCounters) -> Double)] = [
        ("botmaster_bot_updates_received", { Double($0.received) }),
        ("botmaster_bot_duplicates", { Double($0.duplicates) }),
        ("botmaster_bot_batches", { Double($0.batches) }),
        ("botmaster_bot_jobs_ok", { Double($0.jobsOK) }),
        ("botmaster_bot_job_failures", { Double($0.jobFailures) }),
        ("botmaster_bot_dead_lettered", { Double($0.deadLettered) }),
        ("botmaster_bot_rate_limited", { Double($0.rateLimited) }),
        ("botmaster_bot_breaker_open", { $0.breaker == "closed" ? 0 : 1 }),
        ("botmaster_bot_handoffs", { Double($0.handoffs) }),
        ("botmaster_bot_in_flight", { Double($0.inFlight) }),
        ("botmaster_bot_poll_conflicts", { Double($0.pollConflicts) }),
        ("botmaster_bot_source_ok", { $0.sourceProblem == nil ? 1 : 0 }),
        ("botmaster_bot_store_ok", { $0.storeProblem == nil ? 1 : 0 }),
        ("botmaster_bot_store_durable", { $0.storeDurable ? 1 : 0 }),
    ]
    static let states = ["starting", "running", "stopping", "stopped", "backoff", "errored"]

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    static let help: [String: String] = [
        "workers": "Workers by state.",
        "worker_up": "1 when the worker is running.",
        "worker_rss_bytes": "Resident memory of the worker at the last sample.",
        "worker_memory_limit_bytes": "The worker's memory cap ([limits] memory).",
        "worker_messages": "Messages the current worker process has handled (resets when it restarts).",
        "worker_errors": "Errors the current worker process has counted (resets when it restarts).",
        "worker_restarts": "Restarts of the bot, kept across master restarts.",
        "worker_heartbeat_age_seconds": "Time since the worker's last hello or heartbeat.",
        "worker_uptime_seconds": "Time since the current worker process started.",
        "master_rss_bytes": "Resident memory of the master.",
        "master_uptime_seconds": "Time since the master started.",
        "last_reload_success": "1 when the last reload was applied, 0 when it was rejected.",
        "last_reload_timestamp_seconds": "When the last reload happened (Unix time).",
        "fleet_source_up": "1 when the last request to the HTTP fleet source gave a fleet that runs now, 0 while it fails.",
        "fleet_source_bots": "Bots of the HTTP fleet source in the running fleet.",
        "fleet_source_last_success_timestamp_seconds": "When the HTTP fleet source last gave a fleet that runs now (Unix time).",
        "bot_updates_received": "Updates the bot's current worker received.",
        "bot_duplicates": "Updates dropped as duplicates.",
        "bot_batches": "Rapid-fire batches formed.",
        "bot_jobs_ok": "Jobs done.",
        "bot_job_failures": "Failed job attempts (each retry counts).",
        "bot_dead_lettered": "Jobs that exhausted their retries.",
        "bot_rate_limited": "429 answers from the Bot API that were obeyed.",
        "bot_breaker_open": "1 while the Bot API circuit breaker is open or probing.",
        "bot_handoffs": "Chats handed to a human operator now.",
        "bot_in_flight": "Updates received and not yet answered.",
        "bot_poll_conflicts": "getUpdates answers of 409 (another poller or a webhook on the token).",
        "bot_store_ok": "0 while the bot's store cannot be used (updates are refused or wait; nothing acknowledged is lost).",
        "bot_store_durable": "0 when the bot keeps its state in memory (store = \"memory\"): a killed worker loses it.",
        "bot_source_ok": "0 when the bot's update source is in trouble (409 conflict, setWebhook failing, fallen back to polling).",
    ]

    private func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
        let short = String(name.dropFirst("botmaster_".count))
        let descriptor = MetricNameDescriptor(namespace: "botmaster", metricName: short, unitName: "", helpText: Self.help[short] ?? "")
        return registry.makeGauge(descriptor: descriptor, labels: labels)
    }

    func render(_ fleet: FleetStatus) -> [UInt8] {
        for state in Self.states {
            gauge("botmaster_workers", [("state", state)])
                .set(to: Double(fleet.workers.filter { $0.state == state }.count))
        }
        for worker in fleet.workers {
            let labels = [("bot", worker.id)]
            func record(_ name: String, _ value: Double) { gauge(name, labels).set(to: value) }
            record("botmaster_worker_up", worker.state == "running" ? 1 : 0)
            record("botmaster_worker_rss_bytes", Double(worker.rssBytes ?? 0))
            record("botmaster_worker_memory_limit_bytes", Double(worker.memoryLimitBytes ?? 0))
            record("botmaster_worker_messages", Double(worker.messages))
            record("botmaster_worker_errors", Double(worker.errors))
            record("botmaster_worker_restarts", Double(worker.restarts))
            record("botmaster_worker_uptime_seconds", Double(worker.uptimeMs ?? 0) / 1000)
            for (name, value) in Self.botGauges {
                if let bot = worker.bot { record(name, value(bot)) } else { registry.unregisterGauge(gauge(name, labels)) }
            }
            if let age = worker.lastHeartbeatMsAgo {
                record("botmaster_worker_heartbeat_age_seconds", Double(age) / 1000)
            } else {
                registry.unregisterGauge(gauge("botmaster_worker_heartbeat_age_seconds", labels))
            }
        }
        let current = Set(fleet.workers.map(\.id))
        let gone = exportedBots.withLock { exported in
            defer { exported = current }
            return exported.subtracting(current)
        }
        for bot in gone {
            for name in Self.workerGauges + Self.botGauges.map(\.name) { registry.unregisterGauge(gauge(name, [("bot", bot)])) }
        }
        gauge("botmaster_master_rss_bytes").set(to: Double(ProcFS.residentBytes(of: Processes.currentID) ?? 0))
        gauge("botmaster_master_uptime_seconds").set(to: Double(fleet.master.uptimeMs) / 1000)
        if let reload = fleet.master.lastReload {
            gauge("botmaster_last_reload_success").set(to: reload.ok ? 1 : 0)
            gauge("botmaster_last_reload_timestamp_seconds").set(to: Double(reload.atMs) / 1000)
        }
        if let source = fleet.master.fleetSource {
            gauge("botmaster_fleet_source_up").set(to: source.ok ? 1 : 0)
            gauge("botmaster_fleet_source_bots").set(to: Double(source.bots))
            if let success = source.lastSuccessMs {
                gauge("botmaster_fleet_source_last_success_timestamp_seconds").set(to: Double(success) / 1000)
            }
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
