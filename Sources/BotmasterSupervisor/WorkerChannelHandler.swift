import BotmasterIPC
import BotmasterSystem
import Glibc
import NIOCore

/// Reads one worker's IPC channel on the I/O thread: frames are decoded and checked here;
/// heartbeats update ``WorkerLiveStats`` in place, everything else becomes a supervisor event.
/// A bad frame closes the channel and is reported, and nothing the worker sends can throw past
/// this handler.
final class WorkerChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let id: String
    private let acks: WebhookAcks
    private let deadLetterReplies: WorkerReplies<DeadLetterReply>
    private let broadcastReplies: WorkerReplies<BroadcastReply>
    private let pid: pid_t
    private let stats: WorkerLiveStats
    private let events: AsyncStream<SupervisorEvent>.Continuation
    private var decoder: FrameDecoder
    private var validator = WorkerStreamValidator()
    private var failed = false

    init(
        id: String, pid: pid_t, stats: WorkerLiveStats, acks: WebhookAcks, deadLetterReplies: WorkerReplies<DeadLetterReply>,
        broadcastReplies: WorkerReplies<BroadcastReply>, events: AsyncStream<SupervisorEvent>.Continuation, maximumFrameLength: Int
    ) {
        self.id = id
        self.acks = acks
        self.deadLetterReplies = deadLetterReplies
        self.broadcastReplies = broadcastReplies
        self.pid = pid
        self.stats = stats
        self.events = events
        self.decoder = FrameDecoder(maximumLength: maximumFrameLength)
    }

    /// Announces the channel from the handler itself: events from one handler are yielded in
    /// order on its event loop, so the supervisor has the channel before it sees the hello.
    func channelActive(context: ChannelHandlerContext) {
        events.yield(.channelAttached(id: id, pid: pid, context.channel))
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let buffer = unwrapInboundIn(data)
        decoder.append(contentsOf: buffer.readableBytesView)
        do throws(ProtocolError) {
            while let frame = try decoder.nextFrame() {
                switch try validator.accept(frame) {
                case .hello(let hello):
                    guard hello.bot == id else {
                        throw .unexpectedFrame(.hello, reason: "hello names bot \"\(hello.bot)\"")
                    }
                    events.yield(.hello(id: id, pid: pid, hello))
                case .heartbeat(let heartbeat):
                    if stats.record(heartbeat, at: .now()) { events.yield(.sourceChanged(id: id)) }
                case .updateAck(let ack):
                    if acks.answer(ack.requestID, from: id, ack.result) == .foreign {
                        throw .unexpectedFrame(.updateAck, reason: "acknowledges request \(ack.requestID), sent to another bot")
                    }
                case .deadLettersReply(let reply):
                    if deadLetterReplies.answer(reply.requestID, from: id, reply) == .foreign {
                        throw .unexpectedFrame(.deadLettersReply, reason: "answers request \(reply.requestID), sent to another bot")
                    }
                case .broadcastReply(let reply):
                    if broadcastReplies.answer(reply.requestID, from: id, reply) == .foreign {
                        throw .unexpectedFrame(.broadcastReply, reason: "answers request \(reply.requestID), sent to another bot")
                    }
                }
            }
        } catch {
            failed = true
            stats.reportViolation(error.description)
            events.yield(.protocolViolation(id: id, pid: pid, reason: error.description))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        acks.failAll(bot: id)
        deadLetterReplies.failAll(bot: id)
        broadcastReplies.failAll(bot: id)
        if !failed { events.yield(.channelClosed(id: id, pid: pid)) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A read error (ECONNRESET when the worker dies) ends the channel; the exit itself
        // arrives through SIGCHLD.
        context.close(promise: nil)
    }
}
