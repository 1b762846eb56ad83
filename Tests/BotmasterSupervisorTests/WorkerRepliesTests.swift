import BotmasterIPC
import NIOPosix
import Testing

@testable import BotmasterSupervisor

/// Webhook acknowledgements count only from the worker of the bot the update was sent to.
@Suite struct WorkerRepliesTests {
    @Test func anAnswerFromAnotherBotsWorkerLeavesTheRequestWaiting() async {
        let acks = WebhookAcks()
        let id = acks.makeRequestID()
        let outcome = await acks.wait(for: id, bot: "frozen", timeout: .milliseconds(300), on: MultiThreadedEventLoopGroup.singleton.next())
        {
            #expect(acks.answer(id, from: "spammer", .accepted) == .foreign)
            #expect(acks.answer(id + 1, from: "spammer", .accepted) == .unknown)
        }
        #expect(outcome == .timedOut, "the frozen bot's update is answered 503, so Telegram delivers it again")
    }

    @Test func theRightWorkersAnswerEndsTheWait() async {
        let acks = WebhookAcks()
        let id = acks.makeRequestID()
        let outcome = await acks.wait(for: id, bot: "echo", timeout: .seconds(30), on: MultiThreadedEventLoopGroup.singleton.next()) {
            #expect(acks.answer(id, from: "echo", .duplicate) == .resolved)
        }
        #expect(outcome == .acknowledged(.duplicate))
        #expect(acks.answer(id, from: "echo", .accepted) == .unknown, "answered once")
    }
}
