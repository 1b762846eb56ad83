import AsyncHTTPClient
import Testing

@testable import BotAPI

@Suite struct PreparedRequestsTests {
    private struct BadURL: Error {}

    @Test func eachMethodsRequestIsMadeOnceAndAFailureIsNotKept() throws {
        let prepared = PreparedRequests()
        var made: [String] = []
        func request(_ method: String, failing: Bool = false) throws -> HTTPClient.Request {
            try prepared.request(for: method) {
                made.append(method)
                if failing { throw BadURL() }
                return try HTTPClient.Request(url: "http://127.0.0.1:1/bot1:x/\(method)", method: .POST)
            }
        }
        #expect(try request("sendMessage").url.path == "/bot1:x/sendMessage")
        #expect(try request("sendMessage").url.path == "/bot1:x/sendMessage")
        #expect(try request("getUpdates").url.path == "/bot1:x/getUpdates")
        #expect(throws: BadURL.self) { try request("copyMessage", failing: true) }
        #expect(try request("copyMessage").url.path == "/bot1:x/copyMessage")
        #expect(made == ["sendMessage", "getUpdates", "copyMessage", "copyMessage"])
    }
}
