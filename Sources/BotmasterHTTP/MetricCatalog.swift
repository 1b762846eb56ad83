import BotmasterControl
import BotmasterSupervisor
import Prometheus

/// Every metric family `/metrics` serves, with its help text: the one place a name is spelled.
/// Counters end in `_total` and gauges do not, as `promtool check metrics` wants.
enum MetricCatalog {
    /// Help texts by full family name.
    static let help: [String: String] = [
        // The fleet now.
        "botmaster_workers": "Workers by state.",
        "botmaster_worker_state": "1 for the state the bot is in now, 0 for the others (one series per bot and state).",
        "botmaster_worker_up": "1 when the worker is running.",
        "botmaster_worker_rss_bytes":
            "Resident memory of the worker's process group at the last sample (shared pages counted in every member).",
        "botmaster_worker_pss_bytes":
            "Proportional set size of the worker's process group (shared pages divided among sharers); the memory cap applies to it.",
        "botmaster_worker_uss_bytes": "Memory only the worker's process group maps: what stopping it gives back.",
        "botmaster_worker_processes": "Processes in the worker's process group at the last sample.",
        "botmaster_worker_cpu_seconds_total": "CPU time of the worker's process group (starts at 0 when the worker restarts).",
        "botmaster_worker_memory_limit_bytes": "The worker's memory cap ([limits] memory).",
        "botmaster_worker_heartbeat_age_seconds": "Time since the worker's last hello or heartbeat.",
        "botmaster_worker_uptime_seconds": "Time since the current worker process started.",
        "botmaster_worker_messages_total": "Messages the current worker process has handled (starts at 0 when the worker restarts).",
        "botmaster_worker_errors_total": "Errors the current worker process has counted (starts at 0 when the worker restarts).",
        // Events, counted as they happen (through swift-metrics).
        "botmaster_worker_restarts_total":
            "Restarts of a bot by reason: exit, hung, start_timeout, memory, protocol_error, spawn_failed (the bot's own) and operator, reload (asked for).",
        "botmaster_worker_log_dropped_bytes_total": "Worker output dropped for going over the bot's log_rate.",
        "botmaster_reloads_total": "Reloads by result: applied or rejected.",
        "botmaster_fleet_source_requests_total": "Requests to the HTTP fleet source by result: applied, unchanged or failed.",
        "botmaster_cluster_takeovers_total": "Cluster mode: leases this master took for bots another member owned before.",
        "botmaster_cluster_leases_lost_total": "Cluster mode: leases this master lost (not renewed in time, or taken by another member).",
        "botmaster_cluster_fencing_refusals_total": "Cluster mode: workers stopped because their store refused a step of a stale epoch.",
        "botmaster_cluster_self_fencings_total":
            "Cluster mode: times this master stopped all its bots because it could not renew its leases.",
        // The master.
        "botmaster_build_info": "Always 1; the version label says which botmaster runs.",
        "botmaster_master_rss_bytes": "Resident memory of the master.",
        "botmaster_master_uptime_seconds": "Time since the master started.",
        "botmaster_last_reload_success": "1 when the last reload was applied, 0 when it was rejected.",
        "botmaster_last_reload_timestamp_seconds": "When the last reload happened (Unix time).",
        "botmaster_cluster_up": "Cluster mode: 1 when the last renewal of membership and leases reached Redis, 0 otherwise.",
        "botmaster_cluster_members": "Cluster mode: live members seen in Redis.",
        "botmaster_cluster_leases_held": "Cluster mode: bots this master holds the lease for.",
        "botmaster_cluster_bots_waiting": "Cluster mode: bots of the fleet no member holds a lease for.",
        "botmaster_fleet_source_up": "1 when the last request to the HTTP fleet source gave a fleet that runs now, 0 while it fails.",
        "botmaster_fleet_source_bots": "Bots of the HTTP fleet source in the running fleet.",
        "botmaster_fleet_source_last_success_timestamp_seconds": "When the HTTP fleet source last gave a fleet that runs now (Unix time).",
        // The bot runtime, from the counters in botworker's heartbeats (per process: they start
        // at 0 when the worker restarts, which rate() and increase() read as a counter reset).
        "botmaster_bot_updates_received_total": "Updates the bot's current worker received.",
        "botmaster_bot_duplicates_total": "Updates dropped as duplicates.",
        "botmaster_bot_batches_total": "Rapid-fire batches formed.",
        "botmaster_bot_jobs_ok_total": "Jobs done.",
        "botmaster_bot_job_failures_total": "Failed job attempts (each retry counts).",
        "botmaster_bot_dead_lettered_total": "Jobs that exhausted their retries.",
        "botmaster_bot_rate_limited_total": "429 answers from the Bot API that were obeyed.",
        "botmaster_bot_poll_conflicts_total": "getUpdates answers of 409 (another poller or a webhook on the token).",
        "botmaster_bot_breaker_open": "1 while the Bot API circuit breaker is open or probing.",
        "botmaster_bot_handoffs": "Chats handed to a human operator now.",
        "botmaster_bot_in_flight": "Updates received and not yet answered.",
        "botmaster_bot_broadcast_sent_total": "Broadcast messages sent by the current worker process.",
        "botmaster_bot_broadcast_unreached_total": "Broadcast chats the current worker process did not reach (blocked, invalid, failed).",
        "botmaster_bot_broadcasts_running": "Broadcasts sending now (a bot sends one at a time).",
        "botmaster_bot_broadcast_remaining": "Chats the running broadcast has still to reach.",
        "botmaster_bot_store_ok": "0 while the bot's store cannot be used (updates are refused or wait; nothing acknowledged is lost).",
        "botmaster_bot_store_durable": "0 when the bot keeps its state in memory (store = \"memory\"): a killed worker loses it.",
        "botmaster_bot_source_ok":
            "0 when the bot's update source is in trouble (409 conflict, setWebhook failing, fallen back to polling).",
        // The master process, under the names every Prometheus client library uses.
        "process_cpu_seconds_total": "User and system CPU time of the master process.",
        "process_resident_memory_bytes": "Resident memory of the master process.",
        "process_virtual_memory_bytes": "Virtual memory of the master process.",
        "process_start_time_seconds": "When the master process started (Unix time).",
        "process_open_fds": "Open file descriptors of the master process.",
        "process_max_fds": "The master process's limit of open file descriptors.",
    ]

    /// Per-bot families set from the status at scrape time (removed with the bot).
    static let workerGauges = [
        "botmaster_worker_up", "botmaster_worker_rss_bytes", "botmaster_worker_pss_bytes", "botmaster_worker_uss_bytes",
        "botmaster_worker_processes", "botmaster_worker_memory_limit_bytes",
        "botmaster_worker_heartbeat_age_seconds", "botmaster_worker_uptime_seconds",
    ]
    static let workerCounters = ["botmaster_worker_messages_total", "botmaster_worker_errors_total", "botmaster_worker_cpu_seconds_total"]

    /// Bot runtime counters: cumulative counts of the current worker process.
    static let botCounters: [(name: String, value: @Sendable (BotCounters) -> UInt64)] = [
        ("botmaster_bot_updates_received_total", { $0.received }),
        ("botmaster_bot_duplicates_total", { $0.duplicates }),
        ("botmaster_bot_batches_total", { $0.batches }),
        ("botmaster_bot_jobs_ok_total", { $0.jobsOK }),
        ("botmaster_bot_job_failures_total", { $0.jobFailures }),
        ("botmaster_bot_dead_lettered_total", { $0.deadLettered }),
        ("botmaster_bot_rate_limited_total", { $0.rateLimited }),
        ("botmaster_bot_poll_conflicts_total", { $0.pollConflicts }),
        ("botmaster_bot_broadcast_sent_total", { $0.broadcastSent }),
        ("botmaster_bot_broadcast_unreached_total", { $0.broadcastUnreached }),
    ]

    /// Bot runtime gauges: how the bot is now.
    static let botGauges: [(name: String, value: @Sendable (BotCounters) -> Double)] = [
        ("botmaster_bot_breaker_open", { $0.breaker == "closed" ? 0 : 1 }),
        ("botmaster_bot_handoffs", { Double($0.handoffs) }),
        ("botmaster_bot_in_flight", { Double($0.inFlight) }),
        ("botmaster_bot_broadcasts_running", { Double($0.broadcastsRunning) }),
        ("botmaster_bot_broadcast_remaining", { Double($0.broadcastRemaining) }),
        ("botmaster_bot_source_ok", { $0.sourceProblem == nil ? 1 : 0 }),
        ("botmaster_bot_store_ok", { $0.storeProblem == nil ? 1 : 0 }),
        ("botmaster_bot_store_durable", { $0.storeDurable ? 1 : 0 }),
    ]

    /// Every state a status row can have: the supervisor's, and `disabled`.
    static let states = WorkerState.allCases.map(\.rawValue) + [WorkerStatus.disabledState]

    /// The descriptor of a family, with its help text.
    static func descriptor(_ name: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help[name] ?? "")
    }
}
