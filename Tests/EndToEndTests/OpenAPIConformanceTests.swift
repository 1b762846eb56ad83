import BotmasterIPC
import BotmasterSystem
import Foundation
import Testing

/// The OpenAPI document (`Sources/BotmasterHTTP/openapi.json`) against a running master: the
/// served document is the checked-in one, and every documented operation, called with good and
/// bad input, answers a documented status with a body that fits the documented schema.
@Suite struct OpenAPIConformanceTests {
    static let token = "openapi-token"
    static let checkedIn: String = {
        let root = #filePath.split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
        return root + "/Sources/BotmasterHTTP/openapi.json"
    }()

    @Test func everyDocumentedOperationAnswersAsDocumented() async throws {
        let worker = TestFleet.pythonWorker("normal") + "\n[limits]\nheartbeat_interval = \"200ms\"\n"
        let fleet = try TestFleet(workers: ["w": worker, "gone": worker])
        defer { fleet.tearDown() }
        let webhookPort = LoopbackPort.free()
        try fleet.startMaster(environment: [
            "STATUS_TOKEN": Self.token, "WEBHOOK_SECRET": "openapi-secret", "WEBHOOK_PORT": "\(webhookPort)",
        ])
        try await fleet.waitForStatus { $0.master.workersRunning == 2 }
        let port = fleet.statusPort
        let auth = ["Authorization": "Bearer \(Self.token)"]

        let served = try HTTPGet.get(port: port, path: "/api/openapi.json", headers: auth)
        #expect(served.status == 200)
        let file = try #require(FileSystem.readFile(Self.checkedIn))
        #expect(Array(served.body.utf8) == file, "the served document is the checked-in one")
        let document = try JSONValue.parse(String(decoding: file, as: UTF8.self))
        let validator = SchemaValidator(document: document)
        let paths = try #require(document["paths"]?.object)

        let command = TestFleet.pythonWorker("normal").replacingOccurrences(of: "command = ", with: "")
        let good = #"{"command": \#(command), "limits": {"heartbeat_interval": "300ms"}}"#
        // (method, path, body, authorized): good and bad calls of every operation.
        let calls: [(String, String, String, Bool)] = [
            ("GET", "/", "", true), ("GET", "/", "", false),
            ("GET", "/api/workers/status", "", true), ("GET", "/api/workers/status", "", false),
            ("GET", "/api/workers/w", "", true), ("GET", "/api/workers/nosuch", "", true),
            ("GET", "/api/bots", "", true), ("GET", "/api/bots", "", false),
            ("GET", "/api/bots/w", "", true), ("GET", "/api/bots/nosuch", "", true),
            ("PUT", "/api/bots/w", good, true), ("PUT", "/api/bots/fresh", good, true), ("PUT", "/api/bots/w", "[1]", true),
            ("PUT", "/api/bots/w", #"{"limits": {"memory": "huge"}}"#, true), ("PUT", "/api/bots/w", good, false),
            ("PATCH", "/api/bots/w", #"{"nice": 2}"#, true), ("PATCH", "/api/bots/nosuch", "{}", true),
            ("PATCH", "/api/bots/w", #"{"nice": 99}"#, true),
            ("DELETE", "/api/bots/gone", "", true), ("DELETE", "/api/bots/gone", "", true),
            ("GET", "/api/webhook/stats", "", true), ("GET", "/api/openapi.json", "", false),
            ("GET", "/api/cluster/status", "", true), ("GET", "/api/cluster/status", "", false),
            ("GET", "/api/history", "", true), ("GET", "/api/history", "", false),
            ("GET", "/api/workers/w/history", "", true), ("GET", "/api/workers/nosuch/history", "", true),
            ("GET", "/api/workers/w/logs?lines=3", "", true), ("GET", "/api/workers/w/logs?lines=0", "", true),
            ("GET", "/api/workers/nosuch/logs", "", true), ("GET", "/api/workers/w/dead-letters", "", true),
            ("GET", "/api/workers/nosuch/dead-letters", "", true), ("POST", "/api/workers/w/dead-letters/retry", "", true),
            ("POST", "/api/workers/w/dead-letters/retry", "", false), ("POST", "/api/workers/nosuch/restart", "", true),
            ("POST", "/api/workers/w/restart", "", false), ("POST", "/api/workers/w/restart", "", true),
            ("GET", "/health", "", true), ("GET", "/health/live", "", false), ("GET", "/metrics", "", true),
            // Broadcasts: `w` runs no bot runtime (409), `nosuch` is no bot (404).
            ("GET", "/api/bots/w/broadcasts", "", true), ("GET", "/api/bots/nosuch/broadcasts", "", true),
            ("GET", "/api/bots/w/broadcasts", "", false), ("POST", "/api/bots/w/broadcasts", #"{"text": "hi", "chats": [1]}"#, true),
            ("POST", "/api/bots/w/broadcasts", #"{"text": "hi"}"#, true), ("POST", "/api/bots/w/broadcasts", "[1]", true),
            ("POST", "/api/bots/w/broadcasts", #"{"text": "hi", "chats": [1]}"#, false),
            ("GET", "/api/bots/w/broadcasts/1", "", true), ("GET", "/api/bots/nosuch/broadcasts/1", "", true),
            ("POST", "/api/bots/w/broadcasts/1/pause", "", true), ("POST", "/api/bots/w/broadcasts/1/pause", "", false),
            ("POST", "/api/bots/w/broadcasts/1/stop", "", true),
        ]
        var covered: Set<String> = []
        for (method, path, body, authorized) in calls {
            let answer = try HTTPGet.request(method, port: port, path: path, headers: authorized ? auth : [:], body: body)
            let template = try #require(Self.template(of: path, in: paths.keys), "\(path) is not documented")
            let operation = try #require(paths[template]?[method.lowercased()], "\(method) \(template) is not documented")
            covered.insert("\(method) \(template)")
            guard let response = operation["responses"]?["\(answer.status)"] else {
                Issue.record("\(method) \(path) answered \(answer.status), which is not documented: \(answer.body.prefix(300))")
                continue
            }
            if let schema = validator.resolve(response)["content"]?["application/json"]?["schema"] {
                let problems = validator.check(try JSONValue.parse(answer.body), against: schema, at: "\(method) \(path)")
                #expect(problems.isEmpty, "\(problems)")
            }
        }
        for (template, item) in paths where template != "/webhook/{bot}" {
            for method in (item.object ?? [:]).keys where ["get", "put", "patch", "delete", "post"].contains(method) {
                #expect(covered.contains("\(method.uppercased()) \(template)"), "\(method.uppercased()) \(template) is not exercised")
            }
        }

        // The webhook port: its documented answers.
        let delivery = try HTTPGet.post(port: webhookPort, path: "/webhook/w", body: "{}")
        #expect(delivery.status == 401)
        let unknown = try HTTPGet.post(
            port: webhookPort, path: "/webhook/nosuch", body: "{}", headers: ["X-Telegram-Bot-Api-Secret-Token": "openapi-secret"])
        #expect(unknown.status == 404)
        let webhookResponses = paths["/webhook/{bot}"]?["post"]?["responses"]
        #expect(webhookResponses?["401"] != nil && webhookResponses?["404"] != nil)
    }

    /// The documented path template that `path` matches (`{name}` matches one segment; a
    /// literal path such as `/api/workers/status` wins over `/api/workers/{id}`).
    static func template(of pathAndQuery: String, in templates: Dictionary<String, JSONValue>.Keys) -> String? {
        let path = String(pathAndQuery.prefix { $0 != "?" })
        if templates.contains(path) { return path }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return templates.first { template in
            let parts = template.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count == segments.count
                && zip(parts, segments).allSatisfy { part, segment in part == segment || (part.hasPrefix("{") && part.hasSuffix("}")) }
        }
    }
}

/// Reading the document and the answers with the protocol's own JSON value.
extension JSONValue {
    static func parse(_ text: String) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }

    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var object: [String: JSONValue]? {
        if case .object(let object) = self { return object }
        return nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var strings: [String]? {
        if case .array(let items) = self { return items.compactMap(\.string) }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }
}

/// Enough of JSONValue Schema for the document's schemas: `$ref`, `type` (one or several),
/// `required`, `properties`, `additionalProperties`, `items`, `enum`, `const`, `oneOf`.
struct SchemaValidator {
    let document: JSONValue

    func resolve(_ node: JSONValue) -> JSONValue {
        guard let reference = node["$ref"]?.string else { return node }
        var current = document
        for key in reference.dropFirst(2).split(separator: "/") { current = current[String(key)] ?? .null }
        return resolve(current)
    }

    func check(_ value: JSONValue, against node: JSONValue, at path: String) -> [String] {
        let schema = resolve(node)
        if case .array(let choices)? = schema["oneOf"] {
            let fitting = choices.filter { check(value, against: $0, at: path).isEmpty }
            return fitting.count == 1 ? [] : ["\(path): fits \(fitting.count) of the oneOf choices"]
        }
        let types = schema["type"]?.strings ?? schema["type"]?.string.map { [$0] }
        if let types, !types.contains(where: { Self.has(value, type: $0) }) {
            return ["\(path): \(value) is not \(types.joined(separator: " or "))"]
        }
        var problems: [String] = []
        if let allowed = schema["enum"]?.strings, let text = value.string, !allowed.contains(text) {
            problems.append("\(path): \(text) is not one of \(allowed)")
        }
        if let constant = schema["const"]?.string, value.string != constant {
            problems.append("\(path): \(value) is not \(constant)")
        }
        if let object = value.object {
            for key in schema["required"]?.strings ?? [] where object[key] == nil {
                problems.append("\(path): \(key) is missing")
            }
            let properties = schema["properties"]?.object ?? [:]
            for (key, item) in object {
                if let property = properties[key] {
                    problems += check(item, against: property, at: "\(path).\(key)")
                } else if let additional = schema["additionalProperties"], additional.object != nil {
                    problems += check(item, against: additional, at: "\(path).\(key)")
                }
            }
        }
        if case .array(let items) = value, let itemSchema = schema["items"] {
            for (index, item) in items.enumerated() { problems += check(item, against: itemSchema, at: "\(path)[\(index)]") }
        }
        return problems
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("number", .number):
            true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }
}
