import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// JSON bodies with the product's key conventions (snake_case, sorted keys, `null` kept).
enum JSONResponses {
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return raw((try? encoder.encode(value)).map { Array($0) } ?? Array(#"{"error":"cannot encode"}"#.utf8), status: status)
    }

    /// Bytes that are already JSON.
    static func raw(_ bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    struct ErrorBody: Encodable {
        var error: String
    }

    static func error(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) -> Response {
        var response = json(ErrorBody(error: message), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// 403 for a change over HTTP (`what`: "change the fleet") on a status server that listens
    /// beyond this host without a token.
    static func refusedWithoutToken(_ what: String) -> Response {
        error(.forbidden, "the status API listens beyond this host without STATUS_TOKEN: set one to \(what) over HTTP")
    }
}
