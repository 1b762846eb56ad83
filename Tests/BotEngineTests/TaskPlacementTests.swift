import BotmasterSystem
import NIOCore
import NIOPosix
import Testing

@testable import BotEngine

/// A worker's tasks on its one event loop: placed tasks, the actors they call and their sleeps
/// stay there, and a cancelled sleep ends at once.
@Suite struct TaskPlacementTests {
    actor Counter {
        var onLoop: [Bool] = []
        func record(_ value: Bool) { onLoop.append(value) }
    }

    @Test func placedTasksAndTheActorsTheyCallRunOnTheLoop() async throws {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let counter = Counter()
        let outcome = await TaskPlacement.start(on: EventLoopTaskExecutor(loop)) { () -> [Bool] in
            var seen = [loop.inEventLoop]
            // A task placed from a placed task, two levels down, as the engine's timers and chat
            // runners are; the actor runs where its caller does.
            let nested = Task.placed { () -> Bool in
                await counter.record(loop.inEventLoop)
                return await Task.placed { loop.inEventLoop }.value
            }
            seen.append(await nested.value)
            try? await TaskPlacement.sleep(for: .milliseconds(5))
            seen.append(loop.inEventLoop)
            return seen
        }.value
        #expect(outcome == [true, true, true])
        #expect(await counter.onLoop == [true])
    }

    @Test func withoutAPreferenceTasksAndSleepsAreSwiftsOwn() async {
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let onLoop = await TaskPlacement.start(on: nil) { await Task.placed { loop.inEventLoop }.value }.value
        #expect(!onLoop)
        // The sleep is Task.sleep's there.
        let started = MonotonicTime.now()
        try? await TaskPlacement.sleep(for: .milliseconds(20))
        #expect(MonotonicTime.now() - started >= .milliseconds(20))
    }

    @Test func aSleepOnTheLoopLastsItsTimeAndACancelledOneEndsAtOnce() async throws {
        let executor = EventLoopTaskExecutor(MultiThreadedEventLoopGroup.singleton.next())
        let slept = await TaskPlacement.start(on: executor) { () -> Duration in
            let started = MonotonicTime.now()
            try? await TaskPlacement.sleep(for: .milliseconds(50))
            return MonotonicTime.now() - started
        }.value
        #expect(slept >= .milliseconds(50))

        let long = TaskPlacement.start(on: executor) { () -> (cancelled: Bool, took: Duration) in
            let started = MonotonicTime.now()
            do {
                try await TaskPlacement.sleep(for: .seconds(30))
                return (false, MonotonicTime.now() - started)
            } catch {
                return (error is CancellationError, MonotonicTime.now() - started)
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        long.cancel()
        let (cancelled, took) = await long.value
        #expect(cancelled)
        #expect(took < .seconds(10), "the cancellation ended the 30 s sleep (it took \(took))")

        let cancelledFirst = TaskPlacement.start(on: executor) { () -> Bool in
            withUnsafeCurrentTask { $0?.cancel() }
            return (try? await TaskPlacement.sleep(for: .seconds(30))) == nil
        }
        #expect(await cancelledFirst.value, "a task cancelled before it sleeps does not sleep")
    }
}
