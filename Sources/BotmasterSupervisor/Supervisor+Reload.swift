import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Logging

// Hot reload: re-read workers/ and apply the difference.
extension Supervisor {
    /// Reads `workers/` again (with the fleet source's bots as last taken) and applies the
    /// difference: new bots start, removed or disabled
    /// bots stop, a changed command, environment or protocol restarts only that bot, changed
    /// limits apply live, and everything else keeps its process. If any file is invalid,
    /// nothing changes.
    public func reload(trigger: String) async -> Result<ReloadSummary, ConfigProblems> {
        guard !shuttingDown else {
            return .failure(ConfigProblems([ConfigProblem(file: "master", key: "", message: "the master is shutting down")]))
        }
        // systemd takes RELOADING=1 only from a service that said READY=1 before.
        let notify = readyNotified ? configuration.notify : nil
        notify?("RELOADING=1\nMONOTONIC_USEC=\(MonotonicTime.now().nanoseconds / 1000)")
        defer { notify?("READY=1\nSTATUS=\(statusLine())") }
        let fleet = loadFleet()
        let problems = problems(of: fleet)
        reloadCount += 1
        SupervisorMetrics.reloaded(applied: problems.isEmpty)
        guard problems.isEmpty else {
            let message = "rejected, nothing changed: " + problems.map(\.description).joined(separator: "; ")
            lastReload = ReloadRecord(wallClockMs: WallClock.nowMilliseconds(), succeeded: false, message: message)
            for problem in problems {
                logger.error("reload rejected", metadata: ["trigger": "\(trigger)", "problem": "\(problem)"])
            }
            return .failure(ConfigProblems(problems))
        }
        definedBotModes = Self.botModes(of: fleet.workers)
        disabledBots = Set(fleet.workers.filter { !$0.enabled }.map(\.id))
        enabledDefinitions = fleet.enabledWorkers
        let summary = await apply(fleet.enabledWorkers)
        syncAllRoutes()
        lastReload = ReloadRecord(wallClockMs: WallClock.nowMilliseconds(), succeeded: true, message: summary.description)
        logger.notice(
            "fleet reloaded",
            metadata: [
                "trigger": "\(trigger)", "started": "\(summary.started.count)", "stopped": "\(summary.stopped.count)",
                "restarted": "\(summary.restarted.count)", "updated": "\(summary.updated.count)",
                "unchanged": "\(summary.unchanged.count)",
            ])
        return .success(summary)
    }

    /// The fleet: `workers/` as it is on disk, or as it would be with `overrides` (file name →
    /// contents, `nil` for a removed file), and the fleet source's bots (`sourced`, or the ones
    /// running now).
    func loadFleet(overrides: [String: [UInt8]?] = [:], sourced: [SourcedBot]? = nil) -> FleetDefinition {
        FleetLoader.load(
            directory: configuration.layout.workersDirectory,
            displayDirectory: "workers",
            maximumWorkers: configuration.settings.workerLimit(cores: Environment.coreCount),
            overrides: overrides,
            sourced: (sourced ?? sourcedBots).map(\.definition))
    }

    /// Everything that keeps a fleet from being applied: its files' problems and the webhook
    /// and store settings its bots need from the master.
    func problems(of fleet: FleetDefinition) -> [ConfigProblem] {
        fleet.problems + configuration.settings.webhook.problems(for: fleet.workers, environment: configuration.environment)
            + StoreSettings.problems(for: fleet.workers, environment: configuration.environment)
    }

    /// Runs `definitions` (in cluster mode, the owned ones among them) and stops the rest.
    func apply(_ definitions: [WorkerDefinition]) async -> ReloadSummary {
        let definitions = owned(definitions)
        var summary = ReloadSummary()
        let now = MonotonicTime.now()
        let wanted = Dictionary(uniqueKeysWithValues: definitions.map { ($0.id, $0) })
        for id in workers.keys.sorted() where wanted[id] == nil {
            guard let worker = workers[id], !worker.retiring else { continue }
            worker.retiring = true
            summary.stopped.append(id)
            await perform(worker.lifecycle.stop(at: now, reason: "removed"), for: id)
            if !worker.lifecycle.hasProcess { retire(id) }
        }
        for definition in definitions {
            let id = definition.id
            guard let worker = workers[id] else {
                let record = makeRecord(definition, now: now)
                SupervisorMetrics.botsJoined([definition.id])
                workers[id] = record
                summary.started.append(id)
                // Cluster mode: a bot taken from another member keeps its restart accounting,
                // and one that member gave up on stays errored here too.
                if let carried = carriedAccounting.removeValue(forKey: id), restore(carried, to: record, id: id, now: now) { continue }
                await spawn(id)
                continue
            }
            let old = worker.definition
            let wasRetiring = worker.retiring
            worker.retiring = false
            worker.definition = definition
            worker.lifecycle.limits = definition.limits
            worker.logVolume.bytesPerSecond = definition.limits.logBytesPerSecond
            if wasRetiring || old.command != definition.command || old.environment != definition.environment
                || old.workerProtocol != definition.workerProtocol || Self.botNeedsRestart(from: old.bot, to: definition.bot)
            {
                summary.restarted.append(id)
                await perform(worker.lifecycle.plannedRestart(.reload, at: now), for: id)
            } else if old.limits != definition.limits || old.logLevel != definition.logLevel || old.bot != definition.bot
                || old.nice != definition.nice
            {
                summary.updated.append(id)
                if old.nice != definition.nice { applyNice(to: id) }
                var update = ConfigUpdate()
                if old.limits.heartbeatInterval != definition.limits.heartbeatInterval {
                    update.heartbeatIntervalMs = Int(definition.limits.heartbeatInterval.millisecondsClamped)
                }
                if old.bot != definition.bot, let bot = definition.bot {
                    update.settings = bot.jsonObject
                }
                if update != ConfigUpdate() {
                    send(MasterMessage.config(update).frame(), to: worker.channel)
                }
                if old.logLevel != definition.logLevel {
                    let level = definition.logLevel ?? configuration.settings.logLevel
                    send(MasterMessage.logLevel(LogLevelChange(level: level)).frame(), to: worker.channel)
                }
            } else {
                summary.unchanged.append(id)
            }
        }
        return summary
    }

    /// Whether a bot's settings changed in a way a running process cannot take: it became or
    /// stopped being a bot, or its token, mode or API changed.
    static func botNeedsRestart(from old: BotSettings?, to new: BotSettings?) -> Bool {
        switch (old, new) {
        case (nil, nil): false
        case (let old?, let new?): old.needsRestart(toApply: new)
        default: true
        }
    }

    /// Drops a stopped, removed worker from the table.
    func retire(_ id: String) {
        guard let worker = workers[id], worker.retiring, !worker.lifecycle.hasProcess else { return }
        workers[id] = nil
        worker.log.close()
        logger.info("worker removed from the fleet", metadata: ["bot": "\(id)"])
    }
}

extension Supervisor {
    /// Gives `id`'s running worker (all its threads and children) its `nice`, or the master's.
    /// Set from here rather than inherited: the spawning thread's own value is libdispatch's.
    func applyNice(to id: String) {
        guard let worker = workers[id], let pid = worker.pid else { return }
        let nice = worker.definition.nice ?? configuration.masterNice
        do {
            try Processes.setNice(nice, group: pid)
        } catch {
            logger.warning("cannot set the worker's nice value", metadata: ["bot": "\(id)", "nice": "\(nice)", "error": "\(error)"])
        }
    }
}
