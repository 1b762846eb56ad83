import BotmasterConfig
import BotmasterIPC
import BotmasterSupervisor
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The fleet API on the status port: `GET /api/bots`, and `GET`, `PUT`, `PATCH`, `DELETE` of
/// `/api/bots/<id>` with the keys of `workers/<id>.toml` as JSON. Behind the status token like
/// every route; changes are refused outright on a server that listens beyond loopback without
/// one.
enum FleetRoutes {
    /// The largest definition accepted, as for a file in `workers/`.
    static let maximumBodyBytes = FleetLoader.maximumFileBytes

    struct Listing: Encodable {
        var bots: [Entry]
        struct Entry: Encodable {
            var id: String
            var file: String
            var enabled: Bool
            var tokenFingerprint: String?

            enum CodingKeys: String, CodingKey {
                case id, file, enabled
                case tokenFingerprint = "token_fingerprint"
            }
        }
    }

    struct ChangeBody: Encodable {
        var ok: Bool
        var message: String
    }

    struct ProblemsBody: Encodable {
        var error: String
        var problems: [String]
    }

    static func add(to router: Router<BasicRequestContext>, supervisor: Supervisor, changesAllowed: Bool) {
        router.get("/api/bots") { _, _ in
            let bots = await supervisor.fleetEntries().map {
                Listing.Entry(id: $0.id, file: $0.file, enabled: $0.enabled, tokenFingerprint: $0.tokenFingerprint)
            }
            return JSONResponses.json(Listing(bots: bots))
        }
        router.get("/api/bots/:id") { _, context in
            let id = try context.parameters.require("id")
            guard let document = await supervisor.botDocument(id) else {
                return JSONResponses.error(.notFound, "unknown bot id \"\(id)\"")
            }
            return JSONResponses.json(document.keys)
        }
        router.put("/api/bots/:id") { request, context in
            try await change(request, context, changesAllowed) { id, keys in await supervisor.putBot(id, keys) }
        }
        router.patch("/api/bots/:id") { request, context in
            try await change(request, context, changesAllowed) { id, patch in await supervisor.patchBot(id, patch) }
        }
        router.delete("/api/bots/:id") { _, context in
            let id = try context.parameters.require("id")
            if let refusal = refusal(changesAllowed) { return refusal }
            return answer(await supervisor.removeBot(id), id: id)
        }
    }

    /// A `PUT` or `PATCH`: refused where changes are not allowed, else the body's object handed
    /// to `apply` and its outcome answered.
    private static func change(
        _ request: Request, _ context: BasicRequestContext, _ changesAllowed: Bool,
        apply: (String, [String: JSONValue]) async -> FleetChange
    ) async throws -> Response {
        let id = try context.parameters.require("id")
        if let refusal = refusal(changesAllowed) { return refusal }
        switch try await body(of: request) {
        case .object(let keys): return answer(await apply(id, keys), id: id)
        case .refused(let response): return response
        }
    }

    private static func refusal(_ changesAllowed: Bool) -> Response? {
        changesAllowed ? nil : JSONResponses.refusedWithoutToken("change the fleet")
    }

    /// A request body: the JSON object it holds, or the answer that refuses it.
    private enum Body {
        case object([String: JSONValue])
        case refused(Response)
    }

    private static func body(of request: Request) async throws -> Body {
        let bytes: ByteBuffer
        do {
            bytes = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            return .refused(JSONResponses.error(.contentTooLarge, "body over \(maximumBodyBytes) bytes"))
        }
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView)),
            case .object(let object) = value
        else {
            return .refused(JSONResponses.error(.badRequest, "the body must be a JSON object of the bot's keys"))
        }
        return .object(object)
    }

    private static func answer(_ change: FleetChange, id: String) -> Response {
        switch change {
        case .applied(let summary, let created):
            return JSONResponses.json(ChangeBody(ok: true, message: "reloaded: \(summary)"), status: created ? .created : .ok)
        case .invalid(let problems):
            return JSONResponses.json(
                ProblemsBody(error: "the fleet would not be valid; nothing changed", problems: problems.map(\.description)),
                status: .unprocessableContent)
        case .notFound:
            return JSONResponses.error(.notFound, "unknown bot id \"\(id)\"")
        case .failed(let reason):
            return JSONResponses.error(.internalServerError, reason)
        case .definedBySource:
            return JSONResponses.error(.conflict, FleetChange.definedBySourceMessage(id))
        }
    }
}
