import BotmasterIPC
import HTTPTypes
import NIOCore

/// What the webhook endpoint answers a delivery: a status, and for a refusal a JSON body
/// `{"error": "…"}` naming the reason (503s also ask Telegram to come back in a second).
struct WebhookAnswer: Sendable, Equatable {
    var status: HTTPResponse.Status
    var error: String?
    var retryAfterSecond = false

    /// The worker (or, in cluster mode, Redis) took the update, or had it already.
    static let taken = WebhookAnswer(status: .ok)
    static let wrongSecret = WebhookAnswer(status: .unauthorized, error: "missing or wrong X-Telegram-Bot-Api-Secret-Token")
    static let unknownBot = WebhookAnswer(status: .notFound, error: "unknown bot")
    static let pollingBot = WebhookAnswer(status: .notFound, error: "this bot polls; it takes no webhook deliveries")
    static let notJSONObject = WebhookAnswer(status: .badRequest, error: "body is not a JSON object")
    static let notUpdate = WebhookAnswer(status: .badRequest, error: "body is not a Bot API Update")
    static let workerNotRunning = unavailable("bot worker is not running")
    static let workerCannotTake = unavailable("bot worker cannot take updates now")
    static let cannotRelay = unavailable("cannot relay the update to the bot's owner now")

    static func tooLarge(maximum: Int) -> WebhookAnswer {
        WebhookAnswer(status: .contentTooLarge, error: "body over \(maximum) bytes")
    }

    /// A path or method the port does not serve.
    static func noRoute(_ status: HTTPResponse.Status) -> WebhookAnswer {
        WebhookAnswer(status: status, error: status == .methodNotAllowed ? "only POST is served here" : "no such endpoint")
    }

    private static func unavailable(_ reason: String) -> WebhookAnswer {
        WebhookAnswer(status: .serviceUnavailable, error: reason, retryAfterSecond: true)
    }

    /// The response's head and body; `close` adds `Connection: close`.
    func response(allocator: ByteBufferAllocator, close: Bool) -> (HTTPResponse, ByteBuffer?) {
        var fields = HTTPFields()
        fields.reserveCapacity(6)
        fields[.date] = HTTPDateHeader.now()
        var body: ByteBuffer?
        if let error {
            var writer = JSONWriter(capacity: error.utf8.count + 16)
            writer.object { $0.string("error", error) }
            body = allocator.buffer(bytes: writer.bytes)
            fields[.contentType] = "application/json"
            fields[.cacheControl] = "no-store"
        }
        fields[.contentLength] = String(body?.readableBytes ?? 0)
        if retryAfterSecond { fields[.retryAfter] = "1" }
        if close { fields[.connection] = "close" }
        if status == .methodNotAllowed { fields[.allow] = "POST" }
        return (HTTPResponse(status: status, headerFields: fields), body)
    }
}
