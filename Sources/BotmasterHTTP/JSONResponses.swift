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
}
