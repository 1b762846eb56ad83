import BotmasterConfig
import BotmasterIPC
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import BotmasterHTTP
@testable import BotmasterSupervisor

/// The webhook endpoint's channel handler, driven part by part on embedded channels: one for
/// the HTTP connection, one standing in for the bot's worker channel.
@Suite struct WebhookRequestHandlerTests {
    static let update = #"{"update_id": 900, "message": {"message_id": 99, "date": 0, "chat": {"id": 7, "type": "private"}}}"#

    /// A connection to an endpoint whose bot `hook` runs behind `worker`, `poller` polls and
    /// `later` has no worker yet.
    struct Fixture {
        let acks = WebhookAcks()
        let stats = WebhookStats(connections: WebhookConnections(allowedNetworks: [], maximumPerAddress: 10))
        let worker = EmbeddedChannel()
        let http: EmbeddedChannel

        init(maximumBody: Int = 1024) {
            var settings = WebhookSettings()
            settings.secret = "s3cret"
            settings.maximumBodyBytes = maximumBody
            let routes = WebhookRoutes(fleet: [])
            routes.set("hook", .ready(worker))
            routes.set("poller", .pollingBot)
            routes.set("later", .unavailable)
            let endpoint = WebhookEndpoint(settings: settings, routes: routes, acks: acks, stats: stats, relay: nil)
            http = EmbeddedChannel(handler: WebhookRequestHandler(endpoint: endpoint))
            // Active, as an accepted connection is: answers go only to a connection still open.
            _ = http.connect(to: try! SocketAddress(ipAddress: "127.0.0.1", port: 1))
        }

        /// Sends a whole request.
        func send(
            _ method: HTTPRequest.Method = .post, _ path: String, body: String? = WebhookRequestHandlerTests.update,
            secret: String? = "s3cret", connection: String? = nil
        ) throws {
            var fields = HTTPFields()
            if let secret { fields[WebhookEndpoint.secretHeader] = secret }
            if let connection { fields[.connection] = connection }
            try http.writeInbound(
                HTTPRequestPart.head(HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: fields)))
            if let body { try http.writeInbound(HTTPRequestPart.body(ByteBuffer(string: body))) }
            try http.writeInbound(HTTPRequestPart.end(nil))
        }

        /// The answer written so far: its head and its body's text (nil when none was written yet).
        func answer() throws -> (HTTPResponse, String)? {
            guard case .head(let head) = try http.readOutbound(as: HTTPResponsePart.self) else { return nil }
            var body = ""
            while let part = try http.readOutbound(as: HTTPResponsePart.self) {
                if case .body(let buffer) = part { body += String(buffer: buffer) }
                if case .end = part { break }
            }
            return (head, body)
        }

        /// The update the worker was handed.
        func delivered() throws -> WebhookUpdate? {
            guard let buffer = try worker.readOutbound(as: ByteBuffer.self) else { return nil }
            var decoder = FrameDecoder()
            decoder.append(contentsOf: Array(buffer.readableBytesView))
            return try decoder.nextFrame().map { try WebhookUpdate(payload: $0.payload) }
        }
    }

    @Test func anUpdateIsAnswered200OnlyOnceItsWorkerTookIt() throws {
        let fixture = Fixture()
        try fixture.send(.post, "/webhook/hook")
        let update = try #require(try fixture.delivered())
        #expect(update.body == Array(Self.update.utf8), "the body goes to the worker as it came")
        #expect(try fixture.answer() == nil, "no answer before the worker's ack")
        #expect(fixture.acks.answer(update.requestID, from: "hook", .accepted) == .resolved)
        let (head, body) = try #require(try fixture.answer())
        #expect(head.status == .ok && body.isEmpty)
        #expect(head.headerFields[.contentLength] == "0" && head.headerFields[.date] != nil)

        // The same connection serves the next one; a duplicate is 200 too.
        try fixture.send(.post, "/webhook/hook/")
        let again = try #require(try fixture.delivered())
        fixture.acks.answer(again.requestID, from: "hook", .duplicate)
        #expect(try fixture.answer()?.0.status == .ok)
        #expect(fixture.stats.snapshot.bots["hook"] == .init(accepted: 1, duplicates: 1))
    }

    @Test func aWorkerThatAnswersBusyOrNotInTimeOrIsGoneGets503() throws {
        let fixture = Fixture()
        try fixture.send(.post, "/webhook/hook")
        fixture.acks.answer(try #require(try fixture.delivered()).requestID, from: "hook", .busy)
        let (busy, reason) = try #require(try fixture.answer())
        #expect(busy.status == .serviceUnavailable && busy.headerFields[.retryAfter] == "1")
        #expect(reason == #"{"error":"bot worker cannot take updates now"}"#)

        try fixture.send(.post, "/webhook/hook")
        #expect(try fixture.delivered() != nil)
        fixture.worker.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(try fixture.answer()?.0.status == .serviceUnavailable, "the ack timeout answers 503")

        try fixture.send(.post, "/webhook/hook")
        #expect(try fixture.delivered() != nil)
        fixture.acks.failAll(bot: "hook")  // what the supervisor does when the worker's channel closes
        #expect(try fixture.answer()?.0.status == .serviceUnavailable, "a worker gone before its ack is answered at once")
        #expect(fixture.stats.snapshot.bots["hook"]?.unavailable == 3)
    }

    @Test func requestsThatFailTheHeadsChecksAreAnsweredBeforeTheirBody() throws {
        let fixture = Fixture()
        let cases: [(HTTPRequest.Method, String, String?, HTTPResponse.Status)] = [
            (.post, "/webhook/hook", "guess", .unauthorized), (.post, "/webhook/hook", nil, .unauthorized),
            (.post, "/webhook/nobody", "s3cret", .notFound), (.post, "/webhook/poller", "s3cret", .notFound),
            (.get, "/webhook/hook", "s3cret", .methodNotAllowed), (.post, "/status", "s3cret", .notFound),
            (.post, "/webhook/hook/more", "s3cret", .notFound),
        ]
        for (method, path, secret, status) in cases {
            var fields = HTTPFields()
            if let secret { fields[WebhookEndpoint.secretHeader] = secret }
            try fixture.http.writeInbound(
                HTTPRequestPart.head(HTTPRequest(method: method, scheme: nil, authority: nil, path: path, headerFields: fields)))
            let (head, _) = try #require(try fixture.answer(), "\(method) \(path) is answered at its head")
            #expect(head.status == status, "\(method) \(path)")
            try fixture.http.writeInbound(HTTPRequestPart.body(ByteBuffer(string: Self.update)))
            try fixture.http.writeInbound(HTTPRequestPart.end(nil))
        }
        #expect(try fixture.delivered() == nil, "nothing was handed to the worker")
        #expect(fixture.stats.snapshot.unauthorized == 2)
        #expect(fixture.stats.snapshot.bots["nobody"] == nil, "no counter is keyed by a name the caller chose")
    }

    @Test func badBodiesAndBotsWithoutAWorkerAreRefused() throws {
        let fixture = Fixture(maximumBody: 64)
        let expected: [(String, String, HTTPResponse.Status)] = [
            ("/webhook/hook", "[1, 2]", .badRequest), ("/webhook/hook", "not json", .badRequest),
            ("/webhook/hook", "{\"pad\": \"" + String(repeating: "x", count: 100) + "\"}", .contentTooLarge),
            ("/webhook/later", #"{"update_id": 1}"#, .serviceUnavailable),
        ]
        for (path, body, status) in expected {
            try fixture.send(.post, path, body: body)
            #expect(try fixture.answer()?.0.status == status, "\(path) \(body.prefix(20))")
        }
        #expect(try fixture.delivered() == nil)
        #expect(fixture.stats.snapshot.bots["hook"] == .init(invalid: 2, tooLarge: 1))
    }

    @Test func connectionCloseIsHonouredAfterTheAnswer() throws {
        let fixture = Fixture()
        try fixture.send(.post, "/webhook/hook", connection: "close")
        fixture.acks.answer(try #require(try fixture.delivered()).requestID, from: "hook", .accepted)
        let (head, _) = try #require(try fixture.answer())
        #expect(head.status == .ok && head.headerFields[.connection] == "close")
        #expect(!fixture.http.isActive, "the connection is closed after the answer")
    }

    @Test func anAckForAClientThatHasGoneIsCountedAndNotAnswered() throws {
        let fixture = Fixture()
        try fixture.send(.post, "/webhook/hook")
        let update = try #require(try fixture.delivered())
        _ = try fixture.http.close().wait()
        #expect(fixture.acks.answer(update.requestID, from: "hook", .accepted) == .resolved)
        #expect(fixture.stats.snapshot.bots["hook"]?.accepted == 1, "the worker has it; Telegram's redelivery is a duplicate")
    }

    @Test func theDateHeaderIsAnIMFFixdate() {
        #expect(HTTPDateHeader.format(784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT", "RFC 9110's own example")
        #expect(HTTPDateHeader.now().hasSuffix(" GMT") && HTTPDateHeader.now().count == 29)
    }
}
