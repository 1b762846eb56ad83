import BotmasterIPC
import NIOCore

extension Supervisor {
    /// Passes a `botmaster dlq` action to `id`'s worker, which keeps the dead letters (in
    /// memory or in Redis), and returns its answer or why there is none.
    public func deadLetters(_ id: String, action: DeadLetterRequest.Action, key: String?) async -> Result<
        DeadLetterReply, DeadLetterFailure
    > {
        guard let worker = workers[id] else { return .failure(DeadLetterFailure("no bot \(id)")) }
        guard worker.definition.bot != nil else { return .failure(DeadLetterFailure("\(id) is not a bot; it has no dead letters")) }
        guard worker.lifecycle.state == .running, let channel = worker.channel else {
            return .failure(DeadLetterFailure("\(id) is \(worker.lifecycle.state.rawValue); its worker keeps the dead letters"))
        }
        return await Self.ask(channel, bot: id, action: action, key: key, replies: deadLetterReplies)
    }

    /// Off the actor: the wait must not hold the supervisor.
    private static func ask(
        _ channel: any Channel, bot id: String, action: DeadLetterRequest.Action, key: String?,
        replies: WorkerReplies<DeadLetterReply>
    ) async -> Result<DeadLetterReply, DeadLetterFailure> {
        let requestID = replies.makeRequestID()
        let frame = DeadLetterRequest(requestID: requestID, action: action, key: key).frame()
        // Below the CLI's own 10 s wait for the master, so the CLI hears why.
        let outcome = await replies.wait(for: requestID, bot: id, timeout: .seconds(8)) {
            channel.writeAndFlush(ByteBuffer(bytes: frame.encoded()), promise: nil)
        }
        switch outcome {
        case .acknowledged(let reply):
            if let error = reply.error { return .failure(DeadLetterFailure(error)) }
            return .success(reply)
        case .workerGone: return .failure(DeadLetterFailure("\(id)'s worker went away before answering"))
        case .timedOut: return .failure(DeadLetterFailure("\(id)'s worker did not answer within 8 s"))
        }
    }
}

/// Why a `botmaster dlq` action got no answer.
public struct DeadLetterFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}
