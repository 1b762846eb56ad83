import BotmasterSystem

/// The master's webhook endpoint, from the environment: `WEBHOOK_BIND`, `WEBHOOK_PORT`,
/// `WEBHOOK_SECRET`, `WEBHOOK_SSL_CERT`, `WEBHOOK_SSL_KEY`, `WEBHOOK_ALLOWED_NETWORKS`,
/// `WEBHOOK_MAX_BODY`, `WEBHOOK_ACK_TIMEOUT`, `WEBHOOK_IDLE_TIMEOUT`, `WEBHOOK_READ_TIMEOUT`,
/// `WEBHOOK_MAX_CONNECTIONS`, `WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS`. The endpoint runs when
/// `WEBHOOK_SECRET` is set.
public struct WebhookSettings: Sendable, Equatable {
    /// Address to listen on. Loopback by default: the recommended set-up is a TLS reverse proxy
    /// in front; a public address should come with `WEBHOOK_SSL_CERT` and `WEBHOOK_SSL_KEY`.
    public var bind = "127.0.0.1"
    public var port = 8443
    /// Compared with `X-Telegram-Bot-Api-Secret-Token` on every request.
    public var secret: String?
    /// PEM certificate chain and key; both set means TLS.
    public var certificatePath: String?
    public var privateKeyPath: String?
    /// Source networks allowed to post (CIDR); empty allows every source.
    public var allowedNetworks: [String] = []
    /// Largest accepted body.
    public var maximumBodyBytes = 256 * 1024
    /// How long a delivery waits for the worker to take the update before answering 503.
    public var acknowledgementTimeout: Duration = .seconds(5)
    /// A connection that sends no complete request head for this long (a client trickling its
    /// headers, or an idle keep-alive) is closed.
    public var idleTimeout: Duration = .seconds(15)
    /// From a request's head to the last byte of its body; a client trickling its body is cut off.
    public var readTimeout: Duration = .seconds(10)
    /// Connections held at once; beyond it the master stops accepting until one closes. The
    /// master lowers it further to keep file descriptors for supervising the fleet.
    public var maximumConnections = 1024
    /// Connections held at once from one source address; more are closed as they arrive.
    public var maximumConnectionsPerAddress = 256

    public init() {}

    /// Whether the endpoint runs.
    public var isEnabled: Bool { secret != nil }

    /// Telegram's delivery networks, as its documentation lists them: the example allowlist.
    public static let telegramNetworks = ["149.154.160.0/20", "91.108.4.0/22"]

    static func from(environment: [String: String], problem: (String, String) -> Void) -> WebhookSettings {
        var settings = WebhookSettings()
        if let bind = environment["WEBHOOK_BIND"], !bind.isEmpty { settings.bind = bind }
        MasterSettings.port(environment, "WEBHOOK_PORT", into: &settings.port, problem: problem)
        if let secret = environment["WEBHOOK_SECRET"], !secret.isEmpty {
            // Telegram allows 1-256 of A-Z a-z 0-9 _ - in a secret token.
            let allowed =
                secret.utf8.count <= 256
                && secret.utf8.allSatisfy { byte in
                    (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || byte == 0x5f
                        || byte == 0x2d
                }
            if allowed {
                settings.secret = secret
            } else {
                problem("WEBHOOK_SECRET", "must be 1 to 256 of A-Z a-z 0-9 _ - (Telegram's rule)")
            }
        }
        settings.certificatePath = environment["WEBHOOK_SSL_CERT"].flatMap { $0.isEmpty ? nil : $0 }
        settings.privateKeyPath = environment["WEBHOOK_SSL_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        if (settings.certificatePath == nil) != (settings.privateKeyPath == nil) {
            problem(
                settings.certificatePath == nil ? "WEBHOOK_SSL_CERT" : "WEBHOOK_SSL_KEY",
                "TLS needs both WEBHOOK_SSL_CERT and WEBHOOK_SSL_KEY")
        }
        if let text = environment["WEBHOOK_ALLOWED_NETWORKS"], !text.isEmpty {
            let networks = text.split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty }
            for network in networks where NetworkAllowlist.Network(cidr: network) == nil {
                problem("WEBHOOK_ALLOWED_NETWORKS", "\"\(network)\" is not a network such as 149.154.160.0/20 or 2001:db8::/32")
            }
            settings.allowedNetworks = networks
        }
        if let text = environment["WEBHOOK_ACK_TIMEOUT"] {
            if let timeout = DurationText.parse(text), timeout >= .milliseconds(10) {
                settings.acknowledgementTimeout = timeout
            } else {
                problem("WEBHOOK_ACK_TIMEOUT", "\"\(text)\" is not a duration of at least 10ms")
            }
        }
        duration(environment, "WEBHOOK_IDLE_TIMEOUT", into: &settings.idleTimeout, problem: problem)
        duration(environment, "WEBHOOK_READ_TIMEOUT", into: &settings.readTimeout, problem: problem)
        count(environment, "WEBHOOK_MAX_CONNECTIONS", into: &settings.maximumConnections, problem: problem)
        count(
            environment, "WEBHOOK_MAX_CONNECTIONS_PER_ADDRESS", into: &settings.maximumConnectionsPerAddress, problem: problem)
        if let text = environment["WEBHOOK_MAX_BODY"] {
            if let bytes = ByteSizeText.parse(text), bytes >= 1024, bytes <= 1_000_000 {
                settings.maximumBodyBytes = Int(bytes)
            } else {
                problem("WEBHOOK_MAX_BODY", "\"\(text)\" is not a size from 1KB to 1000KB")
            }
        }
        return settings
    }

    private static func duration(
        _ environment: [String: String], _ key: String, into value: inout Duration, problem: (String, String) -> Void
    ) {
        guard let text = environment[key] else { return }
        if let parsed = DurationText.parse(text), parsed >= .milliseconds(100), parsed <= .seconds(3600) {
            value = parsed
        } else {
            problem(key, "\"\(text)\" is not a duration from 100ms to 1h")
        }
    }

    private static func count(_ environment: [String: String], _ key: String, into value: inout Int, problem: (String, String) -> Void) {
        guard let text = environment[key] else { return }
        if let parsed = Int(text), parsed >= 1, parsed <= 1_000_000 {
            value = parsed
        } else {
            problem(key, "\"\(text)\" is not a whole number from 1 to 1000000")
        }
    }
}

extension WebhookSettings {
    /// Bots in webhook mode that cannot work with these settings: the endpoint is off without
    /// `WEBHOOK_SECRET`, and `setWebhook` needs `WEBHOOK_HOST`.
    public func problems(for definitions: [WorkerDefinition], environment: [String: String]) -> [ConfigProblem] {
        var problems: [ConfigProblem] = []
        for definition in definitions where definition.enabled && definition.bot?.mode == .webhook {
            if secret == nil {
                problems.append(
                    ConfigProblem(
                        file: definition.file, key: "mode",
                        message: "webhook mode needs WEBHOOK_SECRET in the master's environment (the webhook endpoint is off without it)"))
            }
            let host = environment["WEBHOOK_HOST"] ?? definition.environment["WEBHOOK_HOST"] ?? ""
            if !(host.hasPrefix("https://") || host.hasPrefix("http://")) {
                problems.append(
                    ConfigProblem(
                        file: definition.file, key: "mode",
                        message: "webhook mode needs WEBHOOK_HOST, the public https:// address of the webhook port"))
            }
        }
        return problems
    }
}
