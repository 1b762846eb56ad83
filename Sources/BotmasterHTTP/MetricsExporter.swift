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
            for name in Self.workerGauges { registry.unregisterGauge(gauge(name, [("bot", bot)])) }
        }
        gauge("botmaster_master_rss_bytes").set(to: Double(ProcFS.residentBytes(of: Processes.currentID) ?? 0))
        gauge("botmaster_master_uptime_seconds").set(to: Double(fleet.master.uptimeMs) / 1000)
        if let reload = fleet.master.lastReload {
            gauge("botmaster_last_reload_success").set(to: reload.ok ? 1 : 0)
            gauge("botmaster_last_reload_timestamp_seconds").set(to: Double(reload.atMs) / 1000)
        }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(64 * 1024)
        registry.emit(into: &buffer)
        return buffer
    }
}
