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
}

// The fleet API: one bot's `workers/<id>.toml` read, replaced, patched or removed at run time.
// A change is validated as `check` validates files, against the whole fleet as it would be,
// written atomically (so a restart keeps it), and applied by a reload, which changes only
// that bot. Each call runs on the supervisor actor, so two changes never interleave.
extension Supervisor {
    /// Every bot defined in `workers/`, with its file and whether it is enabled.
    public func fleetFiles() -> [(id: String, file: String, enabled: Bool)] {
        loadFleet().workers.map { ($0.id, $0.file, $0.enabled) }
    }

    /// The bot's file as JSON (its keys; sections as objects) and its path in the home, or nil.
    public func botDocument(_ id: String) -> (file: String, keys: [String: JSONValue])? {
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
        guard let document = botDocument(id) else { return .notFound }
        return await putBot(id, WorkerDocument.merge(patch, into: document.keys))
    }

    /// Removes the bot's file; the reload stops it gracefully.
    public func removeBot(_ id: String) async -> FleetChange {
        let current = loadFleet()
        guard let file = fileName(of: id, in: current) else { return .notFound }
        let problems = problems(of: loadFleet(overrides: [file: nil]))
        guard problems.isEmpty else { return .invalid(problems) }
        guard unlink(workersPath(file)) == 0 || errno == ENOENT else {
            return .failed("cannot remove workers/\(file): \(SystemError(call: "unlink", subject: file, code: errno))")
        }
        return await applyChange(of: id, created: false)
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
        if let definition = fleet.workers.first(where: { $0.id == id }) {
            return String(definition.file.dropFirst("workers/".count))
        }
        return FileSystem.exists(workersPath("\(id).toml")) ? "\(id).toml" : nil
    }

    private func workersPath(_ file: String) -> String {
        "\(configuration.layout.workersDirectory)/\(file)"
    }
}
