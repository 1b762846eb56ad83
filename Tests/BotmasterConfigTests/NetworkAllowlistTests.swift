import Testing

@testable import BotmasterConfig

@Suite struct NetworkAllowlistTests {
    @Test func telegramsNetworksAdmitTheirAddressesOnly() throws {
        let allowlist = try #require(NetworkAllowlist(WebhookSettings.telegramNetworks))
        #expect(allowlist.allows("149.154.167.220"))
        #expect(allowlist.allows("91.108.6.1"))
        #expect(allowlist.allows("::ffff:149.154.160.1"), "IPv4-mapped addresses from a dual-stack listener")
        #expect(!allowlist.allows("149.154.176.1"))
        #expect(!allowlist.allows("127.0.0.1"))
        #expect(!allowlist.allows("not an address"))
    }

    @Test func ipv6BlocksAndSingleHosts() throws {
        let allowlist = try #require(NetworkAllowlist(["2001:db8::/32", "10.0.0.7"]))
        #expect(allowlist.allows("2001:db8:1::5"))
        #expect(!allowlist.allows("2001:db9::1"))
        #expect(allowlist.allows("10.0.0.7"))
        #expect(!allowlist.allows("10.0.0.8"))
        #expect(NetworkAllowlist(["10.0.0.0/33"]) == nil)
        #expect(NetworkAllowlist(["example.org/8"]) == nil)
    }

    @Test func badWebhookSettingsNameTheVariable() {
        let (_, problems) = MasterSettings.from(environment: [
            "WEBHOOK_PORT": "http", "WEBHOOK_SECRET": "has space", "WEBHOOK_SSL_CERT": "/tmp/cert.pem",
            "WEBHOOK_ALLOWED_NETWORKS": "149.154.160.0/20, nowhere",
        ])
        #expect(
            problems.map(\.description) == [
                "environment: WEBHOOK_PORT: \"http\" is not a port (0 to 65535)",
                "environment: WEBHOOK_SECRET: must be 1 to 256 of A-Z a-z 0-9 _ - (Telegram's rule)",
                "environment: WEBHOOK_SSL_KEY: TLS needs both WEBHOOK_SSL_CERT and WEBHOOK_SSL_KEY",
                "environment: WEBHOOK_ALLOWED_NETWORKS: \"nowhere\" is not a network such as 149.154.160.0/20 or 2001:db8::/32",
            ])
    }

    @Test func webhookConnectionLimitsAreReadAndChecked() {
        let (settings, problems) = MasterSettings.from(environment: [
            "WEBHOOK_IDLE_TIMEOUT": "3s", "WEBHOOK_READ_TIMEOUT": "1500ms", "WEBHOOK_MAX_CONNECTIONS": "50",
            "WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS": "5",
        ])
        #expect(problems.isEmpty)
        #expect(settings.webhook.idleTimeout == .seconds(3))
        #expect(settings.webhook.readTimeout == .milliseconds(1500))
        #expect(settings.webhook.maximumConnections == 50)
        #expect(settings.webhook.maximumConnectionsPerAddress == 5)
        #expect(MasterSettings().webhook.bind == "127.0.0.1", "loopback unless told otherwise")

        let (_, bad) = MasterSettings.from(environment: [
            "WEBHOOK_IDLE_TIMEOUT": "forever", "WEBHOOK_MAX_CONNECTIONS": "0", "WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS": "-3",
        ])
        #expect(
            bad.map(\.description) == [
                "environment: WEBHOOK_IDLE_TIMEOUT: \"forever\" is not a duration from 100ms to 1h",
                "environment: WEBHOOK_MAX_CONNECTIONS: \"0\" is not a whole number from 1 to 1000000",
                "environment: WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS: \"-3\" is not a whole number from 1 to 1000000",
            ])
    }
}
