import BotmasterConfig
import BotmasterControl
import BotmasterSystem

// `botmaster describe <id>` and `GET /api/workers/<id>`: one bot as an operator looks it up.
extension Supervisor {
    /// The bot's status, definition, settings with their sources, restarts and log files, or
    /// `nil` for an id the fleet does not define.
    public func describe(_ id: String) -> BotDescription? {
        guard let worker = status(only: id).workers.first else { return nil }
        let history = (workers[id]?.restartRecords ?? []).map {
            BotDescription.Restart(atMs: $0.wallClockMs, kind: $0.reason.kind, reason: $0.reason.description)
        }
        let definition = workers[id]?.definition ?? loadFleet().workers.first { $0.id == id }
        let document = botDocument(id)
        let settings =
            definition?.effectiveSettings(
                setKeys: document.map { WorkerDocument.settingKeys(of: $0.keys) } ?? [],
                origin: document?.file ?? "workers/",
                inherited: inheritedSettings(of: definition)) ?? []
        return BotDescription(
            worker: worker, restartHistory: history, definedIn: document?.file ?? definition.map { "workers/\($0.file)" } ?? "-",
            settings: settings, logFiles: logFiles(of: id))
    }

    /// What a bot without its own value takes from the master.
    private func inheritedSettings(of definition: WorkerDefinition?) -> InheritedSettings {
        var store: (value: String, source: String)?
        if let definition, definition.bot != nil {
            let choice = StoreSettings.choice(for: definition, environment: configuration.environment)
            store = (choice.store.rawValue, choice.decidedBy)
        }
        return InheritedSettings(
            store: store, logLevel: configuration.settings.logLevel, nice: Int32(configuration.masterNice),
            defaultCommand: configuration.defaultWorkerCommand)
    }

    /// The worker's log (created at its first line) and the rotated files kept beside it that
    /// exist, newest first.
    private func logFiles(of id: String) -> [String] {
        let path = configuration.layout.workerLog(id)
        let rotated = (1...max(configuration.settings.logFilesKept, 1)).map { "\(path).\($0)" }
        return [path] + rotated.filter(FileSystem.exists)
    }
}

extension Supervisor {
    /// The log file of a bot the master knows (running, stopped or disabled), whether or not it
    /// exists yet; `nil` for an unknown id.
    public func logPath(of id: String) -> String? {
        workers[id] != nil || disabledBots.contains(id) ? configuration.layout.workerLog(id) : nil
    }
}
