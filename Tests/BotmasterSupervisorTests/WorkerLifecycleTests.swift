import BotmasterConfig
import BotmasterSystem
import Testing

@testable import BotmasterSupervisor

/// The lifecycle driven with a hand-moved clock: every rule of supervision without a process.
@Suite struct WorkerLifecycleTests {
    var now = MonotonicTime(nanoseconds: 5_000_000_000_000)

    func limits(_ change: (inout WorkerLimits) -> Void = { _ in }) -> WorkerLimits {
        var limits = WorkerLimits()
        limits.heartbeatInterval = .seconds(1)
        limits.heartbeatTimeout = .seconds(5)
        limits.restartCooldown = .seconds(2)
        limits.maxRestartsPerHour = 3
        limits.stopTimeout = .seconds(4)
        limits.startTimeout = .seconds(3)
        change(&limits)
        return limits
    }

    mutating func advance(_ duration: Duration) -> MonotonicTime {
        now = now + duration
        return now
    }

    @Test mutating func helloMakesAStartingWorkerRunning() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        #expect(worker.state == .starting)
        worker.helloReceived(at: advance(.milliseconds(50)))
        #expect(worker.state == .running)
        #expect(worker.restartCount == 0)
    }

    @Test mutating func crashLoopEndsInErroredAfterMaxRestarts() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        for attempt in 1...3 {
            #expect(worker.exited(.exited(code: 1), at: advance(.milliseconds(100))) == [], "cooldown first")
            #expect(worker.state == .backoff)
            #expect(worker.tick(now: advance(.seconds(1))) == [], "still cooling down")
            #expect(worker.tick(now: advance(.seconds(1))) == [.spawn], "attempt \(attempt)")
            worker.spawned(at: now)
        }
        #expect(worker.restartCount == 3)
        #expect(worker.exited(.exited(code: 1), at: advance(.milliseconds(100))) == [])
        #expect(worker.state == .errored)
        #expect(worker.lastExit == .exited("exit 1"))
        #expect(worker.tick(now: advance(.seconds(60))) == [], "errored waits for an operator")
    }

    @Test mutating func operatorRestartBringsBackAnErroredWorkerWithAFreshAllowance() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits { $0.maxRestartsPerHour = 0 }, now: now)
        worker.spawned(at: now)
        _ = worker.exited(.signaled(signal: 11, coreDumped: false), at: advance(.seconds(1)))
        #expect(worker.state == .errored)
        #expect(worker.operatorRestart(at: advance(.seconds(1))) == [.spawn])
    }

    @Test mutating func silentWorkerIsTerminatedThenKilledAtTheStopTimeout() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        worker.heartbeatReceived(at: advance(.seconds(1)))
        #expect(worker.tick(now: advance(.seconds(5))) == [], "exactly at the timeout is not yet hung")
        #expect(worker.tick(now: advance(.milliseconds(10))) == [.terminate])
        #expect(worker.state == .stopping)
        #expect(worker.tick(now: advance(.seconds(3))) == [])
        #expect(worker.tick(now: advance(.seconds(1))) == [.kill])
        #expect(worker.tick(now: advance(.seconds(1))) == [], "SIGKILL is sent once")
        #expect(worker.exited(.signaled(signal: 9, coreDumped: false), at: now) == [])
        #expect(worker.state == .backoff)
        if case .hung = worker.lastExit {} else { Issue.record("last exit should be hung, is \(String(describing: worker.lastExit))") }
    }

    @Test mutating func workerWithoutHelloTimesOut() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        #expect(worker.tick(now: advance(.seconds(3))) == [])
        #expect(worker.tick(now: advance(.milliseconds(1))) == [.terminate])
        _ = worker.exited(.signaled(signal: 15, coreDumped: false), at: now)
        #expect(worker.lastExit == .startTimeout)
    }

    @Test mutating func plainProcessRunsAfterTheGraceAndNeverHangs() {
        var worker = WorkerLifecycle(speaksProtocol: false, limits: limits(), now: now)
        worker.spawned(at: now)
        #expect(worker.plainStartGraceEnds == now + WorkerLifecycle.plainStartGrace, "what the supervisor's grace timer waits for")
        #expect(worker.tick(now: advance(.milliseconds(500))) == [])
        #expect(worker.state == .starting)
        #expect(worker.tick(now: advance(.milliseconds(500))) == [])
        #expect(worker.state == .running)
        #expect(worker.plainStartGraceEnds == nil)
        #expect(worker.tick(now: advance(.seconds(3600))) == [], "no heartbeats expected")
        #expect(worker.stop(at: now) == [.terminate], "plain processes get SIGTERM, not a drain frame")
    }

    @Test mutating func aShortStartTimeoutShortensAPlainProcesssGraceAndProtocolWorkersHaveNone() {
        var plain = WorkerLifecycle(speaksProtocol: false, limits: limits { $0.startTimeout = .milliseconds(200) }, now: now)
        plain.spawned(at: now)
        #expect(plain.plainStartGraceEnds == now + .milliseconds(200))
        var speaking = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        speaking.spawned(at: now)
        #expect(speaking.plainStartGraceEnds == nil)
    }

    @Test mutating func overTheMemoryCapDrainsAndRestarts() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits { $0.memoryBytes = 100 }, now: now)
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        #expect(worker.memorySampled(used: 100, at: advance(.seconds(1))) == [])
        #expect(worker.memorySampled(used: 101, at: advance(.seconds(1))) == [.drain(reason: "memory")])
        #expect(worker.memorySampled(used: 500, at: advance(.seconds(1))) == [], "already stopping")
        _ = worker.exited(.exited(code: 0), at: now)
        #expect(worker.lastExit == .memory(used: 101, cap: 100))
        #expect(worker.state == .backoff)
    }

    /// A running worker with a 100-byte cap, a 90 s stop timeout and a 2 s memory grace.
    func runningWithAGrace() -> WorkerLifecycle {
        var worker = WorkerLifecycle(
            speaksProtocol: true,
            limits: limits {
                $0.memoryBytes = 100
                $0.stopTimeout = .seconds(90)
                $0.memoryGrace = .seconds(2)
            }, now: now)
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        return worker
    }

    @Test mutating func overTheMemoryCapIsKilledAfterTheGraceNotTheStopTimeout() {
        var worker = runningWithAGrace()
        #expect(worker.memorySampled(used: 101, at: advance(.seconds(1))) == [.drain(reason: "memory")])
        #expect(worker.tick(now: advance(.seconds(1))) == [], "within the grace")
        #expect(worker.tick(now: advance(.seconds(1))) == [.kill], "the drain was ignored: SIGKILL at the grace")
    }

    @Test mutating func aStoppingWorkerThatOutgrowsItsCapGetsTheShorterDeadline() {
        var worker = runningWithAGrace()
        #expect(worker.stop(at: advance(.seconds(1))) == [.drain(reason: "shutdown")])
        #expect(worker.memorySampled(used: 99, at: advance(.seconds(10))) == [])
        #expect(worker.tick(now: advance(.seconds(3))) == [], "under its cap it keeps the stop timeout")
        #expect(worker.memorySampled(used: 500, at: advance(.seconds(1))) == [])
        #expect(worker.tick(now: advance(.seconds(2))) == [.kill])
    }

    @Test mutating func stopDrainsAndStaysStopped() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        #expect(worker.stop(at: advance(.seconds(1))) == [.drain(reason: "shutdown")])
        #expect(worker.exited(.exited(code: 0), at: advance(.seconds(1))) == [])
        #expect(worker.state == .stopped)
        #expect(worker.tick(now: advance(.seconds(60))) == [])
    }

    @Test mutating func stopDuringBackoffCancelsTheRestart() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        _ = worker.exited(.exited(code: 2), at: advance(.seconds(1)))
        #expect(worker.stop(at: now) == [])
        #expect(worker.state == .stopped)
        #expect(worker.tick(now: advance(.seconds(10))) == [])
    }

    @Test mutating func stopWhileRestartingAHungWorkerWins() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        #expect(worker.tick(now: advance(.seconds(6))) == [.terminate])
        #expect(worker.stop(at: now) == [])
        _ = worker.exited(.signaled(signal: 15, coreDumped: false), at: now)
        #expect(worker.state == .stopped)
    }

    @Test mutating func protocolViolationEndsTheWorkerHard() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits(), now: now)
        worker.spawned(at: now)
        #expect(worker.protocolViolated("garbage", at: now) == [.terminate])
        _ = worker.exited(.signaled(signal: 15, coreDumped: false), at: advance(.milliseconds(10)))
        #expect(worker.lastExit == .protocolError("garbage"))
    }

    @Test mutating func zeroCooldownRestartsAtOnce() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits { $0.restartCooldown = .zero }, now: now)
        worker.spawned(at: now)
        #expect(worker.exited(.exited(code: 1), at: advance(.seconds(1))) == [.spawn])
    }

    @Test mutating func reloadRestartDrainsThenStartsAtOnceWithAFreshAllowance() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits { $0.maxRestartsPerHour = 1 }, now: now)
        worker.spawned(at: now)
        _ = worker.exited(.exited(code: 1), at: advance(.seconds(1)))
        _ = worker.tick(now: advance(.seconds(2)))
        worker.spawned(at: now)
        worker.helloReceived(at: now)
        #expect(worker.plannedRestart(.reload, at: advance(.seconds(1))) == [.drain(reason: "reload")])
        #expect(worker.exited(.exited(code: 0), at: advance(.milliseconds(10))) == [.spawn], "no cooldown")
        #expect(worker.lastExit == .reload)
        worker.spawned(at: now)
        #expect(worker.exited(.exited(code: 1), at: advance(.seconds(1))) == [], "the allowance was reset, so one crash is allowed")
        #expect(worker.state == .backoff)
    }

    @Test mutating func accountingSurvivesARestoreIncludingTheRollingWindow() {
        var worker = WorkerLifecycle(speaksProtocol: true, limits: limits { $0.maxRestartsPerHour = 2 }, now: now)
        worker.spawned(at: now)
        _ = worker.exited(.exited(code: 1), at: advance(.seconds(1)))
        _ = worker.tick(now: advance(.seconds(2)))
        worker.spawned(at: now)
        let saved = worker.accounting(now: now, wallNowMs: 1_000_000)
        #expect(saved.restartCount == 1)
        #expect(saved.recentRestartsWallMs == [1_000_000 - 2000])
        #expect(saved.errored == false)

        // A new master, a different monotonic clock, 10 s of wall time later.
        var restored = WorkerLifecycle(
            speaksProtocol: true, limits: limits { $0.maxRestartsPerHour = 2 }, now: MonotonicTime(nanoseconds: 7))
        restored.restore(saved, now: MonotonicTime(nanoseconds: 60_000_000_000), wallNowMs: 1_010_000)
        #expect(restored.restartCount == 1)
        #expect(restored.lastExit == .exited("exit 1"))
        restored.spawned(at: MonotonicTime(nanoseconds: 60_000_000_000))
        #expect(restored.restartCount == 1, "the first start under a new master is not a restart")
        _ = restored.exited(.exited(code: 1), at: MonotonicTime(nanoseconds: 61_000_000_000))
        #expect(restored.state == .backoff, "one restart left in the window")
        _ = restored.tick(now: MonotonicTime(nanoseconds: 64_000_000_000))
        restored.spawned(at: MonotonicTime(nanoseconds: 64_000_000_000))
        _ = restored.exited(.exited(code: 1), at: MonotonicTime(nanoseconds: 65_000_000_000))
        #expect(restored.state == .errored, "the restored restart still counts against the hour")
        #expect(restored.accounting(now: MonotonicTime(nanoseconds: 65_000_000_000), wallNowMs: 1_015_000).errored)
        #expect(restored.stop(at: MonotonicTime(nanoseconds: 66_000_000_000)) == [])
        #expect(restored.state == .errored, "shutdown keeps the give-up")
    }

    @Test func everyExitReasonKindIsListedForTheMetrics() {
        let reasons: [ExitReason] = [
            .exited("exit 1"), .hung(silentFor: .seconds(1)), .startTimeout, .memory(used: 2, cap: 1), .protocolError("x"),
            .operatorRestart, .reload, .spawnFailed("x"),
        ]
        #expect(Set(reasons.map(\.kind)) == Set(ExitReason.kinds))
    }
}
