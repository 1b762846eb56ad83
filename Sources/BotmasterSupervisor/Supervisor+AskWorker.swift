import BotmasterIPC
import NIOCore

extension Supervisor {
    /// The channel of `id`'s bot worker, or why an operator's request cannot reach it.
    func botChannel(_ id: String, keeps what: String) -> Result<any Channel, WorkerRequestFailure> {
        guard let worker = workers[id] else { return .failure(WorkerRequestFailure("no bot \(id)")) }
        guard worker.definition.bot != nil else { return .failure(WorkerRequestFailure("\(id) is not a bot; it has no \(what)")) }
        guard worker.lifecycle.state == .running, let channel = worker.channel else {
            return .failure(WorkerRequestFailure("\(id) is \(worker.lifecycle.state.rawValue); its worker keeps the \(what)"))
        }
        return .success(channel)
    }

    /// Sends `frame` (made for a fresh request id) to a worker and waits for its answer, off
    /// the actor: the wait must not hold the supervisor. Below the CLI's own 10 s wait for the
    /// master, so the CLI hears why when the worker is silent.
    static func ask<Reply: Sendable & Equatable>(
        _ channel: any Channel, bot id: String, replies: WorkerReplies<Reply>, frame: (UInt64) -> Frame
    ) async -> Result<Reply, WorkerRequestFailure> {
        let requestID = replies.makeRequestID()
        let encoded = frame(requestID).encoded()
        let outcome = await replies.wait(for: requestID, bot: id, timeout: .seconds(8), on: channel.eventLoop) {
            channel.writeAndFlush(ByteBuffer(bytes: encoded), promise: nil)
        }
        switch outcome {
        case .acknowledged(let reply): return .success(reply)
        case .workerGone: return .failure(WorkerRequestFailure("\(id)'s worker went away before answering"))
        case .timedOut: return .failure(WorkerRequestFailure("\(id)'s worker did not answer within 8 s"))
        }
    }
}

/// Why an operator's request to a worker (`dlq`, `broadcast`) got no answer.
public struct WorkerRequestFailure: Error, Sendable, CustomStringConvertible {
    public var description: String

    init(_ description: String) { self.description = description }
}

/// The name `botmaster dlq`'s callers know.
public typealias DeadLetterFailure = WorkerRequestFailure
