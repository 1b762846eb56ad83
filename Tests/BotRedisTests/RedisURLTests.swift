import BotRedis
import Testing

@Suite struct RedisURLTests {
    @Test func readsTCPAndUnixURLs() throws {
        #expect(try RedisURL(parsing: "redis://localhost") == RedisURL(endpoint: .tcp(host: "localhost", port: 6379)))
        #expect(
            try RedisURL(parsing: "redis://:s3cret@10.0.0.5:6380/4")
                == RedisURL(endpoint: .tcp(host: "10.0.0.5", port: 6380), password: "s3cret", database: 4))
        #expect(try RedisURL(parsing: "redis://default:pw@redis:7000").password == "pw")
        #expect(
            try RedisURL(parsing: "unix:///run/redis/redis.sock?db=2&password=pw")
                == RedisURL(endpoint: .unix(path: "/run/redis/redis.sock"), password: "pw", database: 2))
    }

    @Test func badURLsSayWhyAndPasswordsNeverShow() throws {
        #expect(throws: RedisError.badURL("must start with redis://, redis-sentinel:// or unix://")) { try RedisURL(parsing: "http://x") }
        #expect(throws: RedisError.badURL("the port must be 1 to 65535")) { try RedisURL(parsing: "redis://host:0") }
        #expect(throws: RedisError.badURL("the database after / must be a whole number ≥ 0")) { try RedisURL(parsing: "redis://h/x") }
        #expect(throws: RedisError.badURL("unknown unix:// parameter x (known: db, password, wait_replicas, wait_timeout_ms)")) {
            try RedisURL(parsing: "unix:///s?x=1")
        }
        #expect(throws: RedisError.badURL("wait_replicas must be a whole number ≥ 1")) {
            try RedisURL(parsing: "redis://h?wait_replicas=0")
        }
        #expect(throws: RedisError.badURL("wait_timeout_ms needs wait_replicas")) { try RedisURL(parsing: "redis://h?wait_timeout_ms=5") }
        #expect(throws: RedisError.badURL("unknown redis:// parameter sentinel_password (known: wait_replicas, wait_timeout_ms)")) {
            try RedisURL(parsing: "redis://h?sentinel_password=x")
        }
        let url = try RedisURL(parsing: "redis://:topsecret@h:1/2")
        #expect(url.description == "redis://:***@h:1/2")
        #expect(!"\(RedisError.unreachable("\(url): refused"))".contains("topsecret"))
        let sentinel = try RedisURL(parsing: "redis-sentinel://:topsecret@a,b:5/m?sentinel_password=alsosecret")
        #expect(sentinel.description == "redis-sentinel://:***@a:26379,b:5/m/0?sentinel_password=***")
    }

    @Test func readsSentinelURLsAndReplicaWaits() throws {
        #expect(
            try RedisURL(parsing: "redis-sentinel://:pw@10.0.0.1,10.0.0.2:26380/botmaster/3?sentinel_password=sp")
                == RedisURL(
                    endpoint: .sentinel(
                        sentinels: [.init(host: "10.0.0.1"), .init(host: "10.0.0.2", port: 26380)], primary: "botmaster"),
                    password: "pw", database: 3, sentinelPassword: "sp"))
        #expect(
            try RedisURL(parsing: "redis://:p?ss@h?wait_replicas=2").replicaWait == ReplicaWait(replicas: 2, timeoutMilliseconds: 1000))
        #expect(try RedisURL(parsing: "redis://:p?ss@h").password == "p?ss")
        #expect(
            try RedisURL(parsing: "unix:///s?db=1&wait_replicas=1&wait_timeout_ms=250").replicaWait
                == ReplicaWait(replicas: 1, timeoutMilliseconds: 250))
        #expect(
            throws: RedisError.badURL(
                "redis-sentinel:// needs the primary's name after the sentinels, as in redis-sentinel://h1:26379,h2:26379/mymaster")
        ) {
            try RedisURL(parsing: "redis-sentinel://h1,h2")
        }
        #expect(throws: RedisError.badURL("no host")) { try RedisURL(parsing: "redis-sentinel://h1,,h2/m") }
        #expect(throws: RedisError.badURL("after the primary's name only a database may follow, as in /mymaster/2")) {
            try RedisURL(parsing: "redis-sentinel://h1/m/1/2")
        }
    }
}
