import BotmasterIPC

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The status document as compact JSON with sorted keys, written by hand because it is the
/// hot path of the status API: with 1000 workers it is about 300 KB, and a generic
/// `JSONEncoder` took about 10 ms for it against a fraction of a millisecond here. The output
/// is byte-for-byte what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` writes
/// (a test holds it to that).
extension FleetStatus {
    public func compactJSON() -> [UInt8] {
        var out = JSONWriter(capacity: 256 + workers.count * 320)
        out.raw("{\"master\":{")
        if let cluster = master.cluster {
            // Small, and not per worker: the generic encoder is fine here.
            out.raw("\"cluster\":")
            out.encoded(cluster)
            out.raw(",")
        }
        if let source = master.fleetSource { out.fleetSource(source) }
        out.raw("\"last_reload\":")
        if let reload = master.lastReload {
            out.raw("{\"at_ms\":")
            out.integer(reload.atMs)
            out.raw(",\"message\":")
            out.string(reload.message)
            out.raw(",\"ok\":")
            out.raw(reload.ok ? "true" : "false")
            out.raw("}")
        } else {
            out.raw("null")
        }
        out.raw(",\"pid\":")
        out.integer(Int64(master.pid))
        out.raw(",\"reloads\":")
        out.integer(Int64(master.reloads))
        out.raw(",\"uptime_ms\":")
        out.integer(master.uptimeMs)
        out.raw(",\"version\":")
        out.string(master.version)
        out.raw(",\"workers_running\":")
        out.integer(Int64(master.workersRunning))
        out.raw(",\"workers_total\":")
        out.integer(Int64(master.workersTotal))
        out.raw("},\"workers\":[")
        for (index, worker) in workers.enumerated() {
            if index > 0 { out.raw(",") }
            out.raw("{\"bot\":")
            if let bot = worker.bot { out.bot(bot) } else { out.raw("null") }
            out.raw(",\"cpu_percent\":")
            out.optionalDecimal(worker.cpuPercent)
            out.raw(",\"cpu_seconds\":")
            out.optionalDecimal(worker.cpuSeconds)
            out.raw(",\"errors\":")
            out.unsigned(worker.errors)
            out.raw(",\"id\":")
            out.string(worker.id)
            out.raw(",\"last_exit\":")
            out.optionalString(worker.lastExit)
            out.raw(",\"last_heartbeat_ms_ago\":")
            out.optionalInteger(worker.lastHeartbeatMsAgo)
            out.raw(",\"memory_limit_bytes\":")
            out.optionalUnsigned(worker.memoryLimitBytes)
            out.raw(",\"messages\":")
            out.unsigned(worker.messages)
            out.raw(",\"pid\":")
            out.optionalInteger(worker.pid.map(Int64.init))
            out.raw(",\"processes\":")
            out.optionalInteger(worker.processes.map(Int64.init))
            out.raw(",\"pss_bytes\":")
            out.optionalUnsigned(worker.pssBytes)
            out.raw(",\"restarts\":")
            out.integer(Int64(worker.restarts))
            out.raw(",\"rss_bytes\":")
            out.optionalUnsigned(worker.rssBytes)
            out.raw(",\"state\":")
            out.string(worker.state)
            out.raw(",\"uptime_ms\":")
            out.optionalInteger(worker.uptimeMs)
            out.raw(",\"uss_bytes\":")
            out.optionalUnsigned(worker.ussBytes)
            out.raw("}")
        }
        out.raw("]}")
        return out.bytes
    }
}

extension JSONWriter {
    /// A worker's bot counters, keys sorted.
    mutating func bot(_ bot: BotCounters) {
        raw("{\"batches\":")
        unsigned(bot.batches)
        raw(",\"breaker\":")
        string(bot.breaker)
        raw(",\"broadcast_remaining\":")
        unsigned(bot.broadcastRemaining)
        raw(",\"broadcast_sent\":")
        unsigned(bot.broadcastSent)
        raw(",\"broadcast_unreached\":")
        unsigned(bot.broadcastUnreached)
        raw(",\"broadcasts_running\":")
        unsigned(bot.broadcastsRunning)
        raw(",\"dead_lettered\":")
        unsigned(bot.deadLettered)
        raw(",\"duplicates\":")
        unsigned(bot.duplicates)
        raw(",\"handoffs\":")
        unsigned(bot.handoffs)
        raw(",\"in_flight\":")
        unsigned(bot.inFlight)
        raw(",\"job_failures\":")
        unsigned(bot.jobFailures)
        raw(",\"jobs_ok\":")
        unsigned(bot.jobsOK)
        raw(",\"poll_conflicts\":")
        unsigned(bot.pollConflicts)
        raw(",\"rate_limited\":")
        unsigned(bot.rateLimited)
        raw(",\"received\":")
        unsigned(bot.received)
        raw(",\"source\":")
        string(bot.source)
        raw(",\"store\":")
        string(bot.store)
        raw("}")
    }
}

extension JSONWriter {
    /// `value` as `JSONEncoder` writes it with sorted keys and unescaped slashes.
    mutating func encoded(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        append((try? encoder.encode(value)).map(Array.init) ?? Array("null".utf8))
    }

    /// A finite number as JSONEncoder writes it: the shortest form that reads back the same,
    /// with no `.0` on whole numbers.
    mutating func optionalDecimal(_ value: Double?) {
        guard let value, value.isFinite else { return raw("null") }
        if value == value.rounded(), value.magnitude < 1e15 {
            integer(Int64(value))
        } else {
            append(Array(value.description.utf8))
        }
    }
}

extension JSONWriter {
    /// `"fleet_source":{…},`, keys sorted and absent values left out, as JSONEncoder writes them.
    mutating func fleetSource(_ source: FleetSourceStatus) {
        raw("\"fleet_source\":{\"applied\":")
        integer(Int64(source.applied))
        raw(",\"bots\":")
        integer(Int64(source.bots))
        stringIfPresent(",\"error\":", source.error)
        integerIfPresent(",\"failing_since_ms\":", source.failingSinceMs)
        integerIfPresent(",\"last_attempt_ms\":", source.lastAttemptMs)
        integerIfPresent(",\"last_success_ms\":", source.lastSuccessMs)
        raw(",\"ok\":")
        raw(source.ok ? "true" : "false")
        raw(",\"requests\":")
        integer(Int64(source.requests))
        raw(",\"url\":")
        string(source.url)
        raw("},")
    }
}
