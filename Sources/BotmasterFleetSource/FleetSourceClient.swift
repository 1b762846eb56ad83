import AsyncHTTPClient
import BotmasterConfig
import NIOCore
import NIOHTTP1

/// What one request to the fleet source gave.
public enum FleetSourceAnswer: Sendable {
    /// `304 Not Modified`: the fleet is the one last applied.
    case unchanged
    /// A document, with its `ETag` if the source sent one.
    case document([UInt8], etag: String?)
    /// No usable answer: why, in one line that names no secret.
    case failed(String)
}

/// Asks the fleet source for the fleet with AsyncHTTPClient: `GET`, the configured
/// `Authorization` header, `If-None-Match` with the last applied `ETag`, a bounded body and a
/// timeout. Redirects are not followed, so the authorization is sent to the configured
/// address only.
public final class FleetSourceClient: Sendable {
    private let settings: FleetSourceSettings
    private let http: HTTPClient

    public init(settings: FleetSourceSettings) {
        self.settings = settings
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool.idleTimeout = .seconds(60)
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Asks once; `etag` is the one of the fleet last applied.
    public func fetch(etag: String?) async -> FleetSourceAnswer {
        var request = HTTPClientRequest(url: settings.url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "botmaster")
        if let authorization = settings.authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let etag { request.headers.add(name: "If-None-Match", value: etag) }
        do {
            let response = try await http.execute(request, timeout: TimeAmount(settings.timeout))
            switch response.status.code {
            case 304:
                return .unchanged
            case 200:
                let body = try await response.body.collect(upTo: settings.maximumBytes)
                return .document(Array(buffer: body), etag: response.headers.first(name: "ETag"))
            default:
                return .failed("HTTP \(response.status.code) \(response.status.reasonPhrase)")
            }
        } catch is NIOTooManyBytesError {
            return .failed("the answer is larger than \(settings.maximumBytes / (1024 * 1024)) MB")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            return .failed("no answer within \(settings.timeout)")
        } catch {
            return .failed("cannot reach it (\(error))")
        }
    }

    /// Closes the client's connections.
    public func shutdown() async {
        try? await http.shutdown()
    }
}
