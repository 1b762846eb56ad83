/// One thing wrong with the fleet's configuration, located precisely enough to fix without
/// guessing: `workers/support.toml: limits.memory: "150XB" is not a size (use e.g. "150MB")`.
public struct ConfigProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file, as given to the loader (relative to the home when the loader was given a
    /// relative path).
    public var file: String
    /// The dotted key path, or empty for a problem with the whole file.
    public var key: String
    /// What is wrong, in one sentence.
    public var message: String

    public init(file: String, key: String, message: String) {
        self.file = file
        self.key = key
        self.message = message
    }

    public var description: String {
        key.isEmpty ? "\(file): \(message)" : "\(file): \(key): \(message)"
    }
}

/// Every problem found in one pass, so an operator fixes them all at once.
public struct ConfigProblems: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(_ problems: [ConfigProblem]) { self.problems = problems }

    public var description: String { problems.map(\.description).joined(separator: "\n") }

    /// The first few problems in one line, for a status field or a log line.
    public var summary: String {
        let shown = problems.prefix(5).map(\.description).joined(separator: "; ")
        return problems.count > 5 ? "\(shown); and \(problems.count - 5) more" : shown
    }
}
