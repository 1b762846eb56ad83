import BotmasterConfig
import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Logging

// Restart accounting kept across master restarts, in run/state.json.
extension Supervisor {
    var accountingFile: FleetAccountingFile { FleetAccountingFile(path: configuration.layout.accountingFile) }

    func restoreAccounting(now: MonotonicTime) {
        let saved = accountingFile.load()
        let wallNow = WallClock.nowMilliseconds()
        for (id, accounting) in saved.workers {
            guard let worker = workers[id] else { continue }
            restore(
                accounting, records: saved.restartRecords[id] ?? [], to: worker, id: id, now: now, wallNowMs: wallNow,
                erroredBecause: "from before the master restarted")
        }
    }

    /// Puts saved accounting into a worker's record before its first start; whether the bot
    /// stays errored (said in the log, with `erroredBecause`).
    @discardableResult
    func restore(
        _ accounting: WorkerLifecycle.Accounting, records: [RestartRecord], to worker: ManagedWorker, id: String, now: MonotonicTime,
        wallNowMs: Int64, erroredBecause reason: String
    ) -> Bool {
        worker.lifecycle.restore(accounting, now: now, wallNowMs: wallNowMs)
        worker.restartRecords = records
        guard accounting.errored else { return false }
        logger.warning("bot stays errored \(reason); `botmaster restart \(id)` starts it", metadata: ["bot": "\(id)"])
        return true
    }

    /// Writes the accounting if it changed since the last write (at most once a tick).
    func saveAccounting() {
        guard accountingDirty else { return }
        accountingDirty = false
        let now = MonotonicTime.now()
        let wallNow = WallClock.nowMilliseconds()
        var contents = FleetAccountingFile.Contents()
        for (id, worker) in workers {
            contents.workers[id] = worker.lifecycle.accounting(now: now, wallNowMs: wallNow)
            contents.restartRecords[id] = worker.restartRecords
        }
        do {
            try accountingFile.save(contents)
        } catch {
            logger.error("cannot save restart accounting", metadata: ["file": "\(accountingFile.path)", "error": "\(error)"])
        }
    }
}
