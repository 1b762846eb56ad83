import BotmasterSupervisor
import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Serves `POST /webhook/<bot>` on the connection's event loop: the head is checked as it
/// arrives, the body collected, the update written to the worker's channel, and the answer
/// written from the ack's callback. No task per request: on the path of every update, a task
/// per request cost a hop onto Swift's pool and back for the request and again for the ack.
///
/// One request at a time: NIO's pipelining helper (in front of this handler) holds a pipelined
/// request back until the answer to the one before is written.
final class WebhookRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private enum State {
        /// Between requests.
        case idle
        /// Reading the body of a delivery that passed the head's checks.
        case collecting(bot: String, target: WebhookRoutes.Target, body: ByteBuffer)
        /// The answer is written already; the rest of the body is dropped.
        case discarding
        /// The whole request is read; the answer waits for the worker or the relay.
        case waiting
    }

    private let endpoint: WebhookEndpoint
    private var state = State.idle
    /// The request asked for `Connection: close`.
    private var closeAfterAnswer = false
    /// The request was a HEAD: its answer has no body.
    private var isHead = false

    init(endpoint: WebhookEndpoint) {
        self.endpoint = endpoint
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            closeAfterAnswer = head.headerFields[.connection]?.lowercased() == "close"
            isHead = head.method == .head
            switch endpoint.admit(head) {
            case .readBody(let bot, let target):
                state = .collecting(bot: bot, target: target, body: context.channel.allocator.buffer(capacity: 0))
            case .answer(let answer):
                // Answered at once; the body that may follow is read and dropped, so the
                // connection stays usable (as Hummingbird did).
                write(answer, context: context)
                state = .discarding
            }
        case .body(var part):
            guard case .collecting(let bot, let target, var body) = state else { return }
            state = .waiting  // drops the stored buffer's reference, so appending does not copy it
            guard body.readableBytes + part.readableBytes <= endpoint.maximumBody else {
                write(endpoint.tooLarge(bot), context: context)
                state = .discarding
                return
            }
            if body.readableBytes == 0 {
                body = part
            } else {
                body.writeBuffer(&part)
            }
            state = .collecting(bot: bot, target: target, body: body)
        case .end:
            switch state {
            case .collecting(let bot, let target, let body):
                state = .waiting
                deliver(body, bot: bot, target: target, context: context)
            case .discarding:
                state = .idle
            case .idle, .waiting:
                break
            }
        }
    }

    private func deliver(_ body: ByteBuffer, bot: String, target: WebhookRoutes.Target, context: ChannelHandlerContext) {
        if let refusal = endpoint.refusal(body, bot: bot, target: target) {
            finish(refusal, context: context)
            return
        }
        let loop = context.eventLoop
        let bound = NIOLoopBound((handler: self, context: context), eventLoop: loop)
        let answer: @Sendable (WebhookAnswer) -> Void = { answer in
            if loop.inEventLoop {
                bound.value.handler.finish(answer, context: bound.value.context)
            } else {
                loop.execute { bound.value.handler.finish(answer, context: bound.value.context) }
            }
        }
        switch target {
        case .ready(let channel):
            endpoint.deliver(body, bot: bot, to: channel, completion: answer)
        default:
            // Cluster mode's relay through Redis: rare next to direct deliveries, so a task.
            let endpoint = endpoint
            Task { answer(await endpoint.relayed(body, bot: bot)) }
        }
    }

    /// The answer to the request in flight.
    private func finish(_ answer: WebhookAnswer, context: ChannelHandlerContext) {
        guard case .waiting = state else { return }
        state = .idle
        write(answer, context: context)
    }

    private func write(_ answer: WebhookAnswer, context: ChannelHandlerContext) {
        // The client may have gone while the worker took the update; nothing to answer then.
        guard context.channel.isActive else { return }
        let (head, body) = answer.response(allocator: context.channel.allocator, close: closeAfterAnswer)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body, !isHead { context.write(wrapOutboundOut(.body(body)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        // As Hummingbird's connection handler does: the close follows the flushed answer.
        if closeAfterAnswer { context.close(promise: nil) }
    }

    /// The client closed its side (the server allows half-closure): the request in flight,
    /// if any, is still answered, then the connection closes.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case ChannelEvent.inputClosed = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        switch state {
        case .idle, .discarding: context.close(promise: nil)
        case .collecting, .waiting: closeAfterAnswer = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
