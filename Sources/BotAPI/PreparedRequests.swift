import AsyncHTTPClient
import Synchronization

/// The request of each Bot API method one client calls, made on its first call and copied for
/// the next ones with their own body. Making an `HTTPClient.Request` parses and deconstructs its
/// URL, about 3 % of a busy worker's event-loop time when done for every call.
final class PreparedRequests: Sendable {
    private let requests = Mutex<[String: HTTPClient.Request]>([:])

    /// The request for `method`, from `make` the first time.
    func request(for method: String, make: () throws -> HTTPClient.Request) throws -> HTTPClient.Request {
        if let prepared = requests.withLock({ $0[method] }) { return prepared }
        let made = try make()
        requests.withLock { $0[method] = made }
        return made
    }
}
