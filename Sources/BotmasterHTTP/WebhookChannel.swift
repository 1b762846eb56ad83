import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1

/// One webhook connection's pipeline, served by HummingbirdCore's `Server` (binding, the
/// connection cap, graceful quiescing, TLS through `TLSChannel`): NIO's HTTP/1 codec and its
/// pipelining helper, the connection guard (allowlist, per-address cap, read timeout),
/// Hummingbird's idle timeout and quiescing, and the endpoint itself as a channel handler.
struct WebhookChannel: ServerChildChannel {
    /// What `handle` gets: the connection.
    struct Connection: ServerChildChannelValue {
        let channel: any Channel
    }

    let endpoint: WebhookEndpoint
    let connections: WebhookConnections
    /// A body slower than this is cut off (`WEBHOOK_READ_TIMEOUT`).
    let readTimeout: TimeAmount
    /// An idle keep-alive or trickled head is cut off after this (`WEBHOOK_IDLE_TIMEOUT`).
    let idleTimeout: Duration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Connection> {
        channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            // NIO answers a request it cannot parse with 400 and closes; pipelined requests
            // wait until the answer before them is written.
            try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: true)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(WebhookConnectionGuard(connections: connections, readTimeout: readTimeout))
            try pipeline.addHandler(HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
            try pipeline.addHandler(WebhookRequestHandler(endpoint: endpoint))
            return Connection(channel: channel)
        }
    }

    /// Every request is served by the pipeline on the event loop; the connection's task only
    /// waits for it to close (the server's graceful shutdown quiesces it).
    func handle(value: Connection, logger: Logger) async {
        await withTaskCancellationHandler {
            try? await value.channel.closeFuture.get()
        } onCancel: {
            value.channel.close(promise: nil)
        }
    }
}
