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
        #expect(throws: RedisError.badURL("must start with redis:// or unix://")) { try RedisURL(parsing: "http://x") }
        #expect(throws: RedisError.badURL("the port must be 1 to 65535")) { try RedisURL(parsing: "redis://host:0") }
        #expect(throws: RedisError.badURL("the database after / must be a whole number ≥ 0")) { try RedisURL(parsing: "redis://h/x") }
        #expect(throws: RedisError.badURL("unknown unix:// parameter x (known: db, password)")) {
            try RedisURL(parsing: "unix:///s?x=1")
        }
        let url = try RedisURL(parsing: "redis://:topsecret@h:1/2")
        #expect(url.description == "redis://:***@h:1/2")
        #expect(!"\(RedisError.unreachable("\(url): refused"))".contains("topsecret"))
    }
}
