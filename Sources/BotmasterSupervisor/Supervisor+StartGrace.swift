import BotmasterSystem

/// A plain process (no protocol) counts as running once it has been up for its start grace.
/// The periodic tick (every 250 ms) would see that up to a tick late; with 1000 processes
/// started at once, "all running" then came up to a quarter of a second after the last grace
/// ended. One timer, armed for the earliest grace still running, promotes them on time.
extension Supervisor {
    /// How close together the timer fires at most: graces that end within this of each other
    /// are handled in one pass over the fleet.
    static let startGraceResolution: Duration = .milliseconds(20)

    /// Arms the timer for the earliest start grace still running, unless it is armed already
    /// (graces end in the order the processes started, so an armed timer is never too late).
    func armStartGraceTimer() {
        guard !startGraceTimerArmed, !shuttingDown else { return }
        guard let earliest = workers.values.compactMap(\.lifecycle.plainStartGraceEnds).min() else { return }
        startGraceTimerArmed = true
        let wait = max(earliest - .now(), Self.startGraceResolution)
        let sink = eventSink
        Task.detached {
            try? await Task.sleep(for: wait)
            sink.yield(.startGraceEnded)
        }
    }

    /// Promotes the plain processes whose grace has ended, then arms the timer for the next.
    func startGracesEnded() async {
        startGraceTimerArmed = false
        let now = MonotonicTime.now()
        for (id, worker) in workers {
            guard let ends = worker.lifecycle.plainStartGraceEnds, ends <= now else { continue }
            let actions = worker.lifecycle.tick(now: now)
            if !actions.isEmpty { await perform(actions, for: id) }
        }
        notifyServiceManager()
        armStartGraceTimer()
    }
}
