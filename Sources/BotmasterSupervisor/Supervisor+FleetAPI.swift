import BotmasterConfig
import BotmasterIPC
import BotmasterSystem
import Glibc

/// What a change of one bot's definition through the fleet API did.
public enum FleetChange: Sendable {
    /// Written to its file and applied like a reload; `created` when the bot is new.
    case applied(ReloadSummary, created: Bool)
    /// Not written: every problem of the fleet as it would have been.
    case invalid([ConfigProblem])
    /// No bot of that id.
    case notFound
    /// The file could not be written or removed; nothing changed.
    case failed(String)
    /// The bot is defined by the HTTP fleet source, which only the source can change.
    case definedBySource

    /// Why a bot of the fleet source cannot be changed here.
    public static func definedBySourceMessage(_ id: String) -> String {
        "bot \(id) is defined by the fleet source (BOTMASTER_FLEET_URL); change it there"
    }
}

/// One bot of the fleet as the fleet API lists it.
public struct FleetEntry: Sendable, Equatable {
    public var id: String
    /// `workers/<file>`, or `fleet source`.
    public var file: String
    public var enabled: Bool
    /// For a bot of the fleet source: its token's fingerprint (never the token).
    public var tokenFingerprint: String?
}

// The fleet API: one bot's `workers/<id>.toml` read, replaced, patched or removed at run time.
// A change is validated as `check` validates files, against the whole fleet as it would be,
// written atomically (so a restart keeps it), and applied by a reload, which changes only
// that bot. Each call runs on the supervisor actor, so two changes never interleave.
extension Supervisor {
    /// Every bot defined in `workers/` or by the fleet source, with where and whether it is
    /// enabled.
    public func fleetEntries() -> [FleetEntry] {
        loadFleet().workers.map { definition in
            var entry = FleetEntry(id: definition.id, file: definition.file, enabled: definition.enabled)
            if case .fleetSource(let fingerprint) = definition.origin { entry.tokenFingerprint = fingerprint }
            return entry
        }
    }

    /// The bot's file as JSON (its keys; sections as objects) and its path in the home, or nil.
    /// A bot of the fleet source shows the keys the source gave, with `token_fingerprint` in
    /// place of its token.
    public func botDocument(_ id: String) -> (file: String, keys: [String: JSONValue])? {
        if let sourced = sourcedBot(id) {
            var keys = sourced.keys
            if case .fleetSource(let fingerprint) = sourced.definition.origin { keys["token_fingerprint"] = .string(fingerprint) }
            return (DefinitionOrigin.fleetSourceName, keys)
        }
        guard let file = fileName(of: id, in: loadFleet()) else { return nil }
        guard let bytes = try? FileSystem.readRegularFile(workersPath(file), maximumBytes: FleetLoader.maximumFileBytes),
            let keys = try? WorkerDocument.json(fromTOML: String(decoding: bytes, as: UTF8.self))
        else { return nil }
        return ("workers/\(file)", keys)
    }

    /// Replaces (or creates) the bot's definition with `keys`.
    public func putBot(_ id: String, _ keys: [String: JSONValue]) async -> FleetChange {
        guard WorkerDefinition.isValidID(id) else {
            return .invalid([ConfigProblem(file: "workers/\(id).toml", key: "id", message: "a bot id is 1 to 64 of A-Z a-z 0-9 _ -")])
        }
        if sourcedBot(id) != nil { return .definedBySource }
        let current = loadFleet()
        let existing = fileName(of: id, in: current)
        let file = existing ?? "\(id).toml"
        if let named = keys["id"], named != .string(id) {
            return .invalid([ConfigProblem(file: "workers/\(file)", key: "id", message: "must be the bot id of the URL, \"\(id)\"")])
        }
        let text: String
        switch WorkerDocument.toml(from: keys, file: "workers/\(file)") {
        case .success(let converted): text = converted
        case .failure(let problems): return .invalid(problems.problems)
        }
        let header = "# Written by the botmaster fleet API; comments are not kept.\n"
        let bytes = Array((header + text + (text.hasSuffix("\n") ? "" : "\n")).utf8)
        let proposed = loadFleet(overrides: [file: bytes])
        let problems = problems(of: proposed)
        guard problems.isEmpty else { return .invalid(problems) }
        do {
            try FileSystem.writeFileAtomically(workersPath(file), bytes)
        } catch {
            return .failed("cannot write workers/\(file): \(error)")
        }
        return await applyChange(of: id, created: existing == nil)
    }

    /// Merges `patch` into the bot's definition (RFC 7386: `null` removes a key).
    public func patchBot(_ id: String, _ patch: [String: JSONValue]) async -> FleetChange {
        if sourcedBot(id) != nil { return .definedBySource }
        guard let document = botDocument(id) else { return .notFound }
        return await putBot(id, WorkerDocument.merge(patch, into: document.keys))
    }

    /// Removes the bot's file; the reload stops it gracefully.
    public func removeBot(_ id: String) async -> FleetChange {
        if sourcedBot(id) != nil { return .definedBySource }
        let current = loadFleet()
        guard let file = fileName(of: id, in: current) else { return .notFound }
        let problems = problems(of: loadFleet(overrides: [file: nil]))
        guard problems.isEmpty else { return .invalid(problems) }
        guard unlink(workersPath(file)) == 0 || errno == ENOENT else {
            return .failed("cannot remove workers/\(file): \(SystemError(call: "unlink", subject: file, code: errno))")
        }
        return await applyChange(of: id, created: false)
    }

    private func sourcedBot(_ id: String) -> SourcedBot? {
        sourcedBots.first { $0.definition.id == id }
    }

    private func applyChange(of id: String, created: Bool) async -> FleetChange {
        switch await reload(trigger: "fleet API (\(id))") {
        case .success(let summary): return .applied(summary, created: created)
        case .failure(let problems): return .invalid(problems.problems)
        }
    }

    /// The file name (in `workers/`) that defines `id`: usually `<id>.toml`, or a file that
    /// sets `id` itself. A `<id>.toml` that does not parse still counts as the bot's file.
    private func fileName(of id: String, in fleet: FleetDefinition) -> String? {
        if let definition = fleet.workers.first(where: { $0.id == id && $0.origin == .file }) {
            return String(definition.file.dropFirst("workers/".count))
        }
        return FileSystem.exists(workersPath("\(id).toml")) ? "\(id).toml" : nil
    }

    private func workersPath(_ file: String) -> String {
        "\(configuration.layout.workersDirectory)/\(file)"
    }
}
