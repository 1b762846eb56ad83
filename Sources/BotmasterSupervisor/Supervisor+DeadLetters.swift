import BotmasterIPC
import NIOCore

extension Supervisor {
    /// Passes a `botmaster dlq` action to `id`'s worker, which keeps the dead letters (in its
    /// store), and returns its answer or why there is none.
    public func deadLetters(_ id: String, action: DeadLetterRequest.Action, key: String?) async -> Result<
        DeadLetterReply, DeadLetterFailure
    > {
        let channel: any Channel
        switch botChannel(id, keeps: "dead letters") {
        case .success(let found): channel = found
        case .failure(let failure): return .failure(failure)
        }
        let answer = await Self.ask(channel, bot: id, replies: deadLetterReplies) {
            DeadLetterRequest(requestID: $0, action: action, key: key).frame()
        }
        return answer.flatMap { reply in reply.error.map { .failure(WorkerRequestFailure($0)) } ?? .success(reply) }
    }
}
