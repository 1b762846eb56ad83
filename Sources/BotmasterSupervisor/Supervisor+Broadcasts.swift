import BotmasterIPC
import NIOCore

extension Supervisor {
    /// Passes a `botmaster broadcast` action to `id`'s worker, which runs the bot's broadcasts
    /// and keeps them in its store, and returns the broadcasts it answers with. The request's
    /// own id is set here.
    public func broadcast(_ id: String, _ request: BroadcastRequest) async -> Result<[BroadcastInfo], WorkerRequestFailure> {
        if request.action == .create, let problem = request.createProblem { return .failure(WorkerRequestFailure(problem)) }
        let channel: any Channel
        switch botChannel(id, keeps: "broadcasts") {
        case .success(let found): channel = found
        case .failure(let failure): return .failure(failure)
        }
        let answer = await Self.ask(channel, bot: id, replies: broadcastReplies) { requestID in
            var request = request
            request.requestID = requestID
            return request.frame()
        }
        return answer.flatMap { reply in
            if let error = reply.error { return .failure(WorkerRequestFailure(error)) }
            return .success(reply.broadcasts ?? [])
        }
    }
}
