/// The HTTP fleet source, from the environment: `BOTMASTER_FLEET_URL` (the endpoint that
/// returns the fleet as JSON), `BOTMASTER_FLEET_AUTHORIZATION` (the `Authorization` header
/// sent with every request; never logged, never passed to workers) and
/// `BOTMASTER_FLEET_INTERVAL` (how often it is asked, default 30s).
public struct FleetSourceSettings: Sendable, Equatable {
    /// The endpoint, `http://` or `https://`.
    public var url: String
    /// The `Authorization` header's value (`Bearer …`), if the endpoint wants one.
    public var authorization: String?
    /// Time between two requests.
    public var interval: Duration = .seconds(30)
    /// How long one request may take, connecting included.
    public var timeout: Duration = .seconds(10)
    /// The largest document taken: a fleet of 1,000 bots is about 500 KB.
    public var maximumBytes = 16 * 1024 * 1024

    public init(url: String, authorization: String? = nil) {
        self.url = url
        self.authorization = authorization
    }

    /// The endpoint as it may be shown in logs and status: without user information, query
    /// or fragment, which can carry credentials.
    public var displayURL: String {
        Self.display(url)
    }

    /// `url` without user information, query or fragment.
    static func display(_ url: String) -> String {
        var text = Substring(url)
        if let end = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<end] }
        guard let scheme = text.range(of: "://") else { return String(text) }
        let rest = text[scheme.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@") {
            return String(text[..<scheme.upperBound]) + String(rest[rest.index(after: at)...])
        }
        return String(text)
    }

    /// The environment variables that configure the source; the master keeps the secret one
    /// out of its workers' environments.
    public static let authorizationVariable = "BOTMASTER_FLEET_AUTHORIZATION"

    static func from(environment: [String: String], problem: (String, String) -> Void) -> FleetSourceSettings? {
        guard let url = environment["BOTMASTER_FLEET_URL"], !url.isEmpty else {
            if environment[authorizationVariable].map({ !$0.isEmpty }) == true {
                problem(authorizationVariable, "is set but BOTMASTER_FLEET_URL is not")
            }
            return nil
        }
        var settings = FleetSourceSettings(url: url)
        let lowered = url.lowercased()
        if !(lowered.hasPrefix("http://") || lowered.hasPrefix("https://")) || url.contains(" ") {
            problem("BOTMASTER_FLEET_URL", "\"\(display(url))\" is not an http:// or https:// URL")
        }
        if let authorization = environment[authorizationVariable], !authorization.isEmpty {
            // Bytes, not Characters: "\r\n" is one Character, equal to neither.
            if authorization.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A }) {
                problem(authorizationVariable, "must be one line (the value of an Authorization header)")
            } else {
                settings.authorization = authorization
            }
        }
        if let text = environment["BOTMASTER_FLEET_INTERVAL"] {
            if let interval = DurationText.parse(text), interval >= .seconds(1) {
                settings.interval = interval
            } else {
                problem("BOTMASTER_FLEET_INTERVAL", "\"\(text)\" is not a duration of at least 1s")
            }
        }
        return settings
    }
}
