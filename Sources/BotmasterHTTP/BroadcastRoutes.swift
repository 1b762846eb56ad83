import BotmasterIPC
import BotmasterSupervisor
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A bot's broadcasts on the status port: `GET`/`POST /api/bots/<id>/broadcasts`,
/// `GET /api/bots/<id>/broadcasts/<bid>` and `POST …/<bid>/pause|resume|cancel`. Making and
/// controlling need what the dashboard's actions need (the status token when set; refused
/// beyond loopback without one; refused from another origin).
enum BroadcastRoutes {
    /// The largest body accepted: a chat list of about two million ids.
    static let maximumBodyBytes = 32 << 20

    struct Listing: Encodable {
        var broadcasts: [BroadcastInfo]
    }

    /// The audience part of a `POST` body; the message part is a ``BroadcastMessage``.
    struct Audience: Decodable {
        var chats: [Int64]?
        var audience: String?
        var rate: Double?
    }

    static func add(to router: Router<BasicRequestContext>, supervisor: Supervisor, actionsAllowed: Bool) {
        router.get("/api/bots/:id/broadcasts") { _, context in
            let id = try context.parameters.require("id")
            return await respond(id, BroadcastRequest(requestID: 0, action: .list), supervisor: supervisor) {
                JSONResponses.json(Listing(broadcasts: $0))
            }
        }
        router.post("/api/bots/:id/broadcasts") { request, context in
            let id = try context.parameters.require("id")
            if let refusal = DashboardRoutes.refusal(request, actionsAllowed) { return refusal }
            let body = try await request.body.collect(upTo: maximumBodyBytes)
            let decoder = JSONDecoder()
            guard let message = try? decoder.decode(BroadcastMessage.self, from: body),
                let audience = try? decoder.decode(Audience.self, from: body)
            else {
                return JSONResponses.error(
                    .badRequest,
                    "expected a JSON object: \"text\" (with optional \"parse_mode\") or \"from_chat_id\" and \"message_id\"; \"chats\" (chat ids) or \"audience\": \"known\"; optional \"rate\""
                )
            }
            let create = BroadcastRequest(
                requestID: 0, action: .create, message: message, chats: audience.chats, audience: audience.audience, rate: audience.rate)
            if let problem = create.createProblem { return JSONResponses.error(.unprocessableContent, problem) }
            return await respond(id, create, supervisor: supervisor) { JSONResponses.json($0.first, status: .created) }
        }
        router.get("/api/bots/:id/broadcasts/:broadcast") { _, context in
            let id = try context.parameters.require("id")
            let broadcast = try context.parameters.require("broadcast")
            return await respond(id, BroadcastRequest(requestID: 0, action: .show, id: broadcast), supervisor: supervisor) {
                JSONResponses.json($0.first)
            }
        }
        router.post("/api/bots/:id/broadcasts/:broadcast/:action") { request, context in
            let id = try context.parameters.require("id")
            let broadcast = try context.parameters.require("broadcast")
            let name = try context.parameters.require("action")
            guard let action = BroadcastRequest.Action(rawValue: name), [.pause, .resume, .cancel].contains(action) else {
                return JSONResponses.error(.notFound, "no action \"\(name)\" on a broadcast (pause, resume or cancel)")
            }
            if let refusal = DashboardRoutes.refusal(request, actionsAllowed) { return refusal }
            return await respond(id, BroadcastRequest(requestID: 0, action: action, id: broadcast), supervisor: supervisor) {
                JSONResponses.json($0.first)
            }
        }
    }

    /// Asks the bot's worker; 404 for an unknown bot or broadcast, 409 when the bot cannot
    /// answer now (stopped, not a bot), 422 for a broadcast that cannot be made or changed.
    private static func respond(
        _ id: String, _ request: BroadcastRequest, supervisor: Supervisor, answer: ([BroadcastInfo]) -> Response
    ) async -> Response {
        switch await supervisor.broadcast(id, request) {
        case .success(let broadcasts): return answer(broadcasts)
        case .failure(let failure):
            let problem = failure.description
            if problem.hasPrefix("no broadcast") { return JSONResponses.error(.notFound, problem) }
            if problem.contains("already") { return JSONResponses.error(.unprocessableContent, problem) }
            return await DashboardRoutes.failureResponse(problem, id: id, supervisor: supervisor)
        }
    }
}
