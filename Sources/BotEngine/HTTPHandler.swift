import AsyncHTTPClient
import BotAPI
import BotmasterIPC
import NIOCore

/// POSTs the ``HandlerRequest`` as JSON to a backend and reads a ``HandlerReply`` from its JSON
/// answer. A non-2xx status, a timeout or an answer that is not a JSON object fails the job.
/// Both documents go through the hand-written codec (``JSONWriter``, ``JSONReader`` with
/// `JSONDecoder` behind it for whatever the reader leaves), not Foundation's per job.
public struct HTTPHandler: BatchHandler {
    let http: HTTPClient
    let url: String
    let timeout: Duration
    /// The backend's request without its body, made once: making one parses its URL. Nil when
    /// `url` is not one AsyncHTTPClient takes; each job then fails with the reason.
    private let prepared: HTTPClient.Request?

    public init(http: HTTPClient, url: String, timeout: Duration) {
        self.http = http
        self.url = url
        self.timeout = timeout
        self.prepared = try? Self.backendRequest(url)
    }

    private static func backendRequest(_ url: String) throws -> HTTPClient.Request {
        try HTTPClient.Request(url: url, method: .POST, headers: ["Content-Type": "application/json", "User-Agent": "botworker"])
    }

    public func handle(_ request: HandlerRequest) async throws(HandlerFailure) -> HandlerReply {
        let status: UInt
        let answer: ByteBuffer
        do {
            var backend = try prepared ?? Self.backendRequest(url)
            backend.body = .byteBuffer(ByteBuffer(bytes: request.jsonBytes))
            (status, answer) = try await http.post(backend, maximumBody: 1 << 20, timeout: timeout)
        } catch {
            throw HandlerFailure("backend unreachable: \(type(of: error)) \(Self.shortReason(error))")
        }
        guard status / 100 == 2 else { throw HandlerFailure("backend answered HTTP \(status)") }
        guard answer.readableBytes > 0 else { return HandlerReply(reply: nil) }
        guard let reply = try? HandlerReply.decode(answer) else {
            throw HandlerFailure("backend answer is not a JSON object with \"reply\" and \"handoff\"")
        }
        return reply
    }

    /// AsyncHTTPClient's errors describe themselves without the body.
    static func shortReason(_ error: any Error) -> String {
        String(describing: error).prefix(200).description
    }
}
