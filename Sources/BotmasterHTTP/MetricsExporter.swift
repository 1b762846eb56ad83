import BotmasterControl
import BotmasterSupervisor
import BotmasterSystem
import Prometheus
import Synchronization

/// `GET /metrics`: the Prometheus text format. Event counters (restarts by bot and reason,
/// reloads) arrive in the registry through swift-metrics as they happen; what describes the
/// fleet now, and the counts the workers keep, are set from the status document at scrape time,
/// so they can never drift from what `status` shows. Every counter of a known label set is there
/// from 0, so the first increment is seen by `increase()`; series of bots that left the fleet
/// are removed. Families and help texts are in ``MetricCatalog``.
final class MetricsExporter: Sendable {
    private let registry: PrometheusCollectorRegistry
    /// What the last scrape exported. The lock also serialises scrapes: a counter set to an
    /// absolute value is reset and incremented, which two scrapes must not interleave.
    private let scraped = Mutex(Scraped())

    private struct Scraped {
        /// The bots of the last scrape.
        var bots: Set<String> = []
        /// The bots that have reported bot runtime counters (botworker's heartbeats).
        var runtimeBots: Set<String> = []
    }

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        for result in ["applied", "rejected"] { counter("botmaster_reloads_total", [("result", result)]) }
    }

    private func gauge(_ name: String, _ labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(descriptor: MetricCatalog.descriptor(name), labels: labels)
    }

    @discardableResult
    private func counter(_ name: String, _ labels: [(String, String)] = []) -> Counter {
        registry.makeCounter(descriptor: MetricCatalog.descriptor(name), labels: labels)
    }

    /// Sets a counter to a count kept elsewhere (a worker's). A smaller count than before is a
    /// new worker process: Prometheus reads the drop as a counter reset, as it should.
    private func setCounter(_ name: String, _ labels: [(String, String)], to value: UInt64) {
        let counter = counter(name, labels)
        counter.reset()
        counter.increment(by: Int64(clamping: value))
    }

    func render(_ fleet: FleetStatus) -> [UInt8] {
        scraped.withLock { scraped in
            for state in MetricCatalog.states {
                gauge("botmaster_workers", [("state", state)]).set(to: Double(fleet.workers.filter { $0.state == state }.count))
            }
            for worker in fleet.workers { export(worker, runtimeBots: &scraped.runtimeBots) }
            let current = Set(fleet.workers.map(\.id))
            for bot in scraped.bots.subtracting(current) {
                forget(bot)
                scraped.runtimeBots.remove(bot)
            }
            scraped.bots = current
            exportMaster(fleet.master)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(64 * 1024)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    private func export(_ worker: WorkerStatus, runtimeBots: inout Set<String>) {
        let labels = [("bot", worker.id)]
        func record(_ name: String, _ value: Double) { gauge(name, labels).set(to: value) }
        for state in MetricCatalog.states {
            gauge("botmaster_worker_state", [("bot", worker.id), ("state", state)]).set(to: worker.state == state ? 1 : 0)
        }
        record("botmaster_worker_up", worker.state == "running" ? 1 : 0)
        record("botmaster_worker_rss_bytes", Double(worker.rssBytes ?? 0))
        record("botmaster_worker_pss_bytes", Double(worker.pssBytes ?? 0))
        record("botmaster_worker_uss_bytes", Double(worker.ussBytes ?? 0))
        record("botmaster_worker_processes", Double(worker.processes ?? 0))
        let cpu = counter("botmaster_worker_cpu_seconds_total", labels)
        cpu.reset()
        cpu.increment(by: worker.cpuSeconds ?? 0)
        record("botmaster_worker_memory_limit_bytes", Double(worker.memoryLimitBytes ?? 0))
        record("botmaster_worker_uptime_seconds", Double(worker.uptimeMs ?? 0) / 1000)
        setCounter("botmaster_worker_messages_total", labels, to: worker.messages)
        setCounter("botmaster_worker_errors_total", labels, to: worker.errors)
        if let age = worker.lastHeartbeatMsAgo {
            record("botmaster_worker_heartbeat_age_seconds", Double(age) / 1000)
        } else {
            registry.unregisterGauge(gauge("botmaster_worker_heartbeat_age_seconds", labels))
        }
        // A bot that runs botworker keeps its series from its first heartbeat on; until a new
        // worker process reports, its counts are 0 (that process has counted nothing yet).
        if worker.bot != nil || runtimeBots.contains(worker.id) {
            let bot = worker.bot
            for (name, value) in MetricCatalog.botCounters { setCounter(name, labels, to: bot.map(value) ?? 0) }
            for (name, value) in MetricCatalog.botGauges {
                if let bot { record(name, value(bot)) } else { registry.unregisterGauge(gauge(name, labels)) }
            }
            runtimeBots.insert(worker.id)
        }
    }

    /// Removes every series of a bot that left the fleet.
    private func forget(_ bot: String) {
        let labels = [("bot", bot)]
        for name in MetricCatalog.workerGauges + MetricCatalog.botGauges.map(\.name) { registry.unregisterGauge(gauge(name, labels)) }
        for name in MetricCatalog.workerCounters + MetricCatalog.botCounters.map(\.name) {
            registry.unregisterCounter(counter(name, labels))
        }
        for state in MetricCatalog.states {
            registry.unregisterGauge(gauge("botmaster_worker_state", [("bot", bot), ("state", state)]))
        }
        for reason in ExitReason.kinds {
            registry.unregisterCounter(counter("botmaster_worker_restarts_total", [("bot", bot), ("reason", reason)]))
        }
        registry.unregisterCounter(counter("botmaster_worker_log_dropped_bytes_total", labels))
    }

    private func exportMaster(_ master: MasterStatus) {
        gauge("botmaster_build_info", [("version", master.version)]).set(to: 1)
        let pid = Processes.currentID
        let resident = Double(ProcFS.residentBytes(of: pid) ?? 0)
        gauge("botmaster_master_rss_bytes").set(to: resident)
        gauge("botmaster_master_uptime_seconds").set(to: Double(master.uptimeMs) / 1000)
        gauge("process_resident_memory_bytes").set(to: resident)
        gauge("process_virtual_memory_bytes").set(to: Double(ProcFS.virtualBytes(of: pid) ?? 0))
        let ticks = Double(ProcFS.ticksPerSecond)
        let cpu = counter("process_cpu_seconds_total")
        cpu.reset()
        cpu.increment(by: Double(ProcFS.cpuTicks(of: pid) ?? 0) / ticks)
        if let boot = ProcFS.bootTime(), let start = ProcFS.startTime(of: pid) {
            gauge("process_start_time_seconds").set(to: Double(boot) + Double(start) / ticks)
        }
        gauge("process_open_fds").set(to: Double(FileSystem.directoryEntries("/proc/self/fd")?.count ?? 0))
        if let limit = Processes.openFileLimit { gauge("process_max_fds").set(to: Double(limit)) }
        if let reload = master.lastReload {
            gauge("botmaster_last_reload_success").set(to: reload.ok ? 1 : 0)
            gauge("botmaster_last_reload_timestamp_seconds").set(to: Double(reload.atMs) / 1000)
        }
        if let cluster = master.cluster {
            gauge("botmaster_cluster_up").set(to: cluster.ok ? 1 : 0)
            gauge("botmaster_cluster_members").set(to: Double(cluster.members.count))
            gauge("botmaster_cluster_leases_held").set(to: Double(cluster.members.first { $0.node == cluster.node }?.bots.count ?? 0))
            gauge("botmaster_cluster_bots_waiting").set(to: Double(cluster.waiting.count))
            for name in [
                "botmaster_cluster_takeovers_total", "botmaster_cluster_leases_lost_total", "botmaster_cluster_fencing_refusals_total",
                "botmaster_cluster_self_fencings_total",
            ] {
                counter(name)
            }
        }
        if let source = master.fleetSource {
            gauge("botmaster_fleet_source_up").set(to: source.ok ? 1 : 0)
            gauge("botmaster_fleet_source_bots").set(to: Double(source.bots))
            for result in ["applied", "unchanged", "failed"] { counter("botmaster_fleet_source_requests_total", [("result", result)]) }
            if let success = source.lastSuccessMs {
                gauge("botmaster_fleet_source_last_success_timestamp_seconds").set(to: Double(success) / 1000)
            }
        }
    }
}
