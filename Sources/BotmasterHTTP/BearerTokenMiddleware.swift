import Hummingbird

/// Requires `Authorization: Bearer <token>` (or `?token=<token>`, for the dashboard page opened
/// in a browser) on every path but `/health/live`, which load balancers and liveness probes
/// call without secrets. The comparison takes the same time wherever the first difference is.
struct BearerTokenMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]

    init(token: String) {
        self.token = Array(token.utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.uri.path == "/health/live" { return try await next(request, context) }
        let presented: Substring? =
            request.headers[.authorization].flatMap { value in
                value.hasPrefix("Bearer ") ? value.dropFirst("Bearer ".count) : nil
            } ?? request.uri.queryParameters["token"]
        guard let presented, ConstantTime.equals(Array(presented.utf8), token) else {
            return JSONResponses.error(.unauthorized, "a valid bearer token is required", headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}

/// Secret comparison for the status token and the webhook secret.
enum ConstantTime {
    /// Equal length and equal bytes, examining every byte of the expected secret regardless of
    /// where the first difference is.
    static func equals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: presented.count ^ expected.count)
        for index in expected.indices {
            difference |= expected[index] ^ (index < presented.count ? presented[index] : 0)
        }
        return difference == 0
    }
}
