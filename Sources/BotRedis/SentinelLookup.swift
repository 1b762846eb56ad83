/// Finds a Redis primary through Redis Sentinel, as Sentinel's client guidelines describe: ask
/// each sentinel in turn `SENTINEL get-master-addr-by-name`, take the first answer. The caller
/// then checks with `ROLE` that the server it reached really is a primary.
enum SentinelLookup {
    /// Each sentinel gets at most this long, so one that is down does not use up the caller's
    /// whole timeout.
    static let perSentinelTimeout = Duration.seconds(1)

    /// The primary's address as the first sentinel that knows it says.
    static func primary(
        named name: String, asking sentinels: [RedisURL.SentinelAddress], password: String?, timeout: Duration
    ) throws(RedisError) -> (host: String, port: Int) {
        var failures: [String] = []
        for sentinel in sentinels {
            let url = RedisURL(endpoint: .tcp(host: sentinel.host, port: sentinel.port), password: password)
            do throws(RedisError) {
                let connection = try RedisConnection(url: url, timeout: min(timeout, perSentinelTimeout))
                defer { connection.close() }
                let reply = try connection.command(["SENTINEL", "get-master-addr-by-name", name])
                guard let parts = reply.array, parts.count == 2, let host = parts[0].string, let port = parts[1].string.flatMap({ Int($0) })
                else {
                    failures.append("\(sentinel) does not know a primary named \(name)")
                    continue
                }
                return (host, port)
            } catch {
                failures.append("\(sentinel): \(error)")
            }
        }
        throw .unreachable("no sentinel named the primary \(name): " + failures.joined(separator: "; "))
    }
}
