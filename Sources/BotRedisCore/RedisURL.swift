/// Where a Redis server is and how to log in: `redis://[:password@]host[:port][/db]` or
/// `unix:///path/to/redis.sock[?db=N&password=P]`.
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var endpoint: Endpoint
    public var password: String?
    public var database: Int

    public init(endpoint: Endpoint, password: String? = nil, database: Int = 0) {
        self.endpoint = endpoint
        self.password = password
        self.database = database
    }

    /// Parses the URL; the error says what is wrong without repeating a password.
    public init(parsing text: String) throws(RedisError) {
        if text.hasPrefix("unix://") {
            let rest = text.dropFirst("unix://".count)
            let parts = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(parts[0])
            guard path.hasPrefix("/") else { throw .badURL("unix:// needs an absolute socket path, as in unix:///run/redis/redis.sock") }
            var password: String?
            var database = 0
            if parts.count == 2 {
                for pair in parts[1].split(separator: "&") {
                    let keyValue = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    guard keyValue.count == 2 else { throw .badURL("unix:// query must be db=N and password=P") }
                    switch keyValue[0] {
                    case "db":
                        guard let number = Int(keyValue[1]), number >= 0 else { throw .badURL("db must be a whole number ≥ 0") }
                        database = number
                    case "password": password = keyValue[1]
                    default: throw .badURL("unknown unix:// parameter \(keyValue[0]) (known: db, password)")
                    }
                }
            }
            self.init(endpoint: .unix(path: path), password: password, database: database)
            return
        }
        guard text.hasPrefix("redis://") else { throw .badURL("must start with redis:// or unix://") }
        var rest = Substring(text.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            // redis://:password@host or redis://user:password@host (the user is ignored: AUTH with a password).
            password = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init)
            if password?.isEmpty == true { password = nil }
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let text = rest[rest.index(after: slash)...]
            if !text.isEmpty {
                guard let number = Int(text), number >= 0 else { throw .badURL("the database after / must be a whole number ≥ 0") }
                database = number
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw .badURL("the port must be 1 to 65535")
            }
            port = number
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { throw .badURL("no host") }
        self.init(endpoint: .tcp(host: host, port: port), password: password, database: database)
    }

    /// The URL without its password, for logs and errors.
    public var description: String {
        switch endpoint {
        case .tcp(let host, let port): "redis://\(password == nil ? "" : ":***@")\(host):\(port)/\(database)"
        case .unix(let path): "unix://\(path)?db=\(database)\(password == nil ? "" : "&password=***")"
        }
    }
}
