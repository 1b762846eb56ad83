import Hummingbird
import NIOCore

/// The request context of the webhook endpoint: the basic one plus the peer's address, for the
/// source-network allowlist.
public struct WebhookRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }
}
