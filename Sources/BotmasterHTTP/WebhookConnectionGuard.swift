import NIOCore
import NIOHTTPTypes

/// The first check on every webhook connection, before any request is parsed into work: the
/// source allowlist and the per-address cap close a connection as it opens, and a request whose
/// body trickles in slower than `WEBHOOK_READ_TIMEOUT` is cut off. (Trickled headers and idle
/// keep-alives are the idle timeout's, which Hummingbird applies.)
final class WebhookConnectionGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    private let connections: WebhookConnections
    private let readTimeout: TimeAmount
    /// The address key this connection is counted under, once admitted.
    private var admittedKey: String?
    private var decided = false
    private var readDeadline: Scheduled<Void>?

    init(connections: WebhookConnections, readTimeout: TimeAmount) {
        self.connections = connections
        self.readTimeout = readTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        admit(context)
        context.fireChannelActive()
    }

    private func admit(_ context: ChannelHandlerContext) {
        guard !decided else { return }
        decided = true
        switch connections.admit(context.channel.remoteAddress?.ipAddress) {
        case .admitted(let key):
            admittedKey = key
        case .refused:
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readDeadline?.cancel()
            let connections = connections
            readDeadline = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) {
                connections.countReadTimeout()
                context.close(promise: nil)
            }
        case .end:
            readDeadline?.cancel()
            readDeadline = nil
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish()
    }

    private func finish() {
        readDeadline?.cancel()
        readDeadline = nil
        if let key = admittedKey {
            admittedKey = nil
            connections.release(key)
        }
    }
}
