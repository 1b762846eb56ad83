/// Where a Redis server is and how to log in:
/// - `redis://[:password@]host[:port][/db][?options]`
/// - `unix:///path/to/redis.sock[?db=N&password=P&options]`
/// - `redis-sentinel://[:password@]host1[:port1][,host2[:port2]…]/<primary-name>[/db][?options]`:
///   the sentinels (port 26379 unless given) are asked where the primary named `<primary-name>`
///   is, and asked again whenever the connection breaks or the server turned into a replica.
///
/// Options, in any form: `wait_replicas=N` (after each script, `WAIT` until N replicas have its
/// writes; see ``ReplicaWait``), `wait_timeout_ms=M` (how long `WAIT` may take, 1000 ms unless
/// given), and for sentinels `sentinel_password=P` (when the sentinels want one of their own).
public struct RedisURL: Sendable, Equatable, CustomStringConvertible {
    public enum Endpoint: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
        /// A primary found through Redis Sentinel: the sentinels to ask, in order, and the name
        /// they know the primary by.
        case sentinel(sentinels: [SentinelAddress], primary: String)
    }

    /// One sentinel's address.
    public struct SentinelAddress: Sendable, Equatable, CustomStringConvertible {
        public var host: String
        public var port: Int

        public init(host: String, port: Int = 26379) {
            self.host = host
            self.port = port
        }

        public var description: String { "\(host):\(port)" }
    }

    public var endpoint: Endpoint
    public var password: String?
    public var database: Int
    /// The password of the sentinels themselves (`sentinel_password`), when they have one.
    public var sentinelPassword: String?
    /// Opt-in: wait for replicas to have a script's writes before the step counts as done.
    public var replicaWait: ReplicaWait?

    public init(
        endpoint: Endpoint, password: String? = nil, database: Int = 0, sentinelPassword: String? = nil,
        replicaWait: ReplicaWait? = nil
    ) {
        self.endpoint = endpoint
        self.password = password
        self.database = database
        self.sentinelPassword = sentinelPassword
        self.replicaWait = replicaWait
    }

    /// Parses the URL; the error says what is wrong without repeating a password.
    public init(parsing text: String) throws(RedisError) {
        let scheme: Scheme
        if text.hasPrefix("unix://") {
            scheme = .unix
        } else if text.hasPrefix("redis-sentinel://") {
            scheme = .sentinel
        } else if text.hasPrefix("redis://") {
            scheme = .tcp
        } else {
            throw .badURL("must start with redis://, redis-sentinel:// or unix://")
        }
        let afterScheme = text.dropFirst(scheme.prefix.count)
        // The options start at the first "?" after the credentials (a password may hold a "?").
        let afterLogin = afterScheme.lastIndex(of: "@").map { afterScheme.index(after: $0) } ?? afterScheme.startIndex
        let queryMark = afterScheme[afterLogin...].firstIndex(of: "?")
        let address = afterScheme[..<(queryMark ?? afterScheme.endIndex)]
        let options = try Options(parsing: queryMark.map { afterScheme[afterScheme.index(after: $0)...] }, scheme: scheme)
        switch scheme {
        case .unix:
            let path = String(address)
            guard path.hasPrefix("/") else { throw .badURL("unix:// needs an absolute socket path, as in unix:///run/redis/redis.sock") }
            self.init(endpoint: .unix(path: path), password: options.password, database: options.database ?? 0)
        case .tcp:
            var rest = address
            let password = Self.takeCredentials(from: &rest)
            let path = Self.takePath(from: &rest)
            guard path.count <= 1 else { throw .badURL("the database after / must be a whole number ≥ 0") }
            let server = try Self.hostAndPort(rest, defaultPort: 6379)
            self.init(endpoint: .tcp(host: server.host, port: server.port), password: password)
            database = try path.first.map(Self.database) ?? 0
        case .sentinel:
            var rest = address
            let password = Self.takeCredentials(from: &rest)
            let path = Self.takePath(from: &rest)
            guard let primary = path.first, !primary.isEmpty else {
                throw .badURL(
                    "redis-sentinel:// needs the primary's name after the sentinels, as in redis-sentinel://h1:26379,h2:26379/mymaster")
            }
            guard path.count <= 2 else { throw .badURL("after the primary's name only a database may follow, as in /mymaster/2") }
            let sentinels = try rest.split(separator: ",", omittingEmptySubsequences: false).map { text throws(RedisError) in
                let sentinel = try Self.hostAndPort(text, defaultPort: 26379)
                return SentinelAddress(host: sentinel.host, port: sentinel.port)
            }
            self.init(endpoint: .sentinel(sentinels: sentinels, primary: String(primary)), password: password)
            database = try path.dropFirst().first.map(Self.database) ?? 0
        }
        sentinelPassword = options.sentinelPassword
        if let replicas = options.waitReplicas {
            replicaWait = ReplicaWait(replicas: replicas, timeoutMilliseconds: options.waitTimeoutMilliseconds ?? 1000)
        } else if options.waitTimeoutMilliseconds != nil {
            throw .badURL("wait_timeout_ms needs wait_replicas")
        }
    }

    /// The URL without its passwords, for logs and errors.
    public var description: String {
        var options: [String] = []
        if sentinelPassword != nil { options.append("sentinel_password=***") }
        if let replicaWait {
            options += ["wait_replicas=\(replicaWait.replicas)", "wait_timeout_ms=\(replicaWait.timeoutMilliseconds)"]
        }
        let login = password == nil ? "" : ":***@"
        switch endpoint {
        case .tcp(let host, let port):
            return "redis://\(login)\(host):\(port)/\(database)" + Self.query(options)
        case .unix(let path):
            let own = ["db=\(database)"] + (password == nil ? [] : ["password=***"])
            return "unix://\(path)" + Self.query(own + options)
        case .sentinel(let sentinels, let primary):
            let hosts = sentinels.map(\.description).joined(separator: ",")
            return "redis-sentinel://\(login)\(hosts)/\(primary)/\(database)" + Self.query(options)
        }
    }

    private static func query(_ options: [String]) -> String {
        options.isEmpty ? "" : "?" + options.joined(separator: "&")
    }

    private enum Scheme {
        case tcp, unix, sentinel

        var prefix: String {
            switch self {
            case .tcp: "redis://"
            case .unix: "unix://"
            case .sentinel: "redis-sentinel://"
            }
        }
    }

    /// The `?key=value&…` part.
    private struct Options {
        var password: String?
        var database: Int?
        var sentinelPassword: String?
        var waitReplicas: Int?
        var waitTimeoutMilliseconds: Int?

        init(parsing text: Substring?, scheme: Scheme) throws(RedisError) {
            guard let text else { return }
            var known = ["wait_replicas", "wait_timeout_ms"]
            if scheme == .unix { known = ["db", "password"] + known }
            if scheme == .sentinel { known.append("sentinel_password") }
            for pair in text.split(separator: "&") {
                let keyValue = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard keyValue.count == 2, known.contains(keyValue[0]) else {
                    let name = keyValue.first ?? String(pair)
                    throw .badURL("unknown \(scheme.prefix) parameter \(name) (known: \(known.joined(separator: ", ")))")
                }
                let value = keyValue[1]
                switch keyValue[0] {
                case "db": database = try RedisURL.database(Substring(value))
                case "password": password = value
                case "sentinel_password": sentinelPassword = value
                case "wait_replicas":
                    guard let number = Int(value), number >= 1 else { throw .badURL("wait_replicas must be a whole number ≥ 1") }
                    waitReplicas = number
                default:
                    guard let number = Int(value), number >= 1 else { throw .badURL("wait_timeout_ms must be a whole number ≥ 1") }
                    waitTimeoutMilliseconds = number
                }
            }
        }
    }

    /// Removes `[user]:password@` from the front; `redis://user:password@host` logs in with the
    /// password only (`AUTH password`).
    private static func takeCredentials(from rest: inout Substring) -> String? {
        guard let at = rest.lastIndex(of: "@") else { return nil }
        let credentials = rest[..<at]
        rest = rest[rest.index(after: at)...]
        let password = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).last.map(String.init)
        return password?.isEmpty == true ? nil : password
    }

    /// Removes and returns the `/a/b` path segments.
    private static func takePath(from rest: inout Substring) -> [Substring] {
        guard let slash = rest.firstIndex(of: "/") else { return [] }
        let path = rest[rest.index(after: slash)...]
        rest = rest[..<slash]
        return path.isEmpty ? [] : path.split(separator: "/", omittingEmptySubsequences: false)
    }

    private static func database(_ text: Substring) throws(RedisError) -> Int {
        guard let number = Int(text), number >= 0 else { throw .badURL("the database after / must be a whole number ≥ 0") }
        return number
    }

    private static func hostAndPort(_ text: Substring, defaultPort: Int) throws(RedisError) -> (host: String, port: Int) {
        var host = String(text)
        var port = defaultPort
        if let colon = text.lastIndex(of: ":") {
            guard let number = Int(text[text.index(after: colon)...]), (1...65535).contains(number) else {
                throw .badURL("the port must be 1 to 65535")
            }
            port = number
            host = String(text[..<colon])
        }
        guard !host.isEmpty else { throw .badURL("no host") }
        return (host, port)
    }
}

/// `WAIT`-for-replicas after each script (`wait_replicas`, `wait_timeout_ms` in the URL).
///
/// Redis replicates asynchronously: a primary that fails right after a write may hand over to a
/// replica that never got it, losing an update botmaster already acknowledged, or a lease it
/// already granted. With this set, a step counts as done only once `replicas` replicas confirmed
/// its writes (`WAIT`); when fewer confirm within the timeout the step fails as if Redis were
/// unreachable (a webhook gets 503 and Telegram sends it again; a poll is not acknowledged),
/// though its writes stay on the primary.
public struct ReplicaWait: Sendable, Equatable {
    public var replicas: Int
    public var timeoutMilliseconds: Int

    public init(replicas: Int, timeoutMilliseconds: Int = 1000) {
        self.replicas = replicas
        self.timeoutMilliseconds = timeoutMilliseconds
    }
}
