import Glibc

/// A minimal HTTP/1.1 client over loopback for the tests: one request per connection
/// (`Connection: close`), the whole answer read to end of file.
struct HTTPGet {
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: String
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func get(port: Int, path: String, headers: [String: String] = [:]) throws -> Answer {
        try request("GET", port: port, path: path, headers: headers)
    }

    static func post(port: Int, path: String, body: String, headers: [String: String] = [:]) throws -> Answer {
        try request(
            "POST", port: port, path: path, headers: headers.merging(["Content-Type": "application/json"]) { old, _ in old }, body: body)
    }

    static func request(_ method: String, port: Int, path: String, headers: [String: String] = [:], body: String = "") throws -> Answer {
        let connection: RawConnection
        do { connection = try RawConnection(port: port) } catch { throw Failure(description: "cannot connect to port \(port)") }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if method != "GET" { request += "Content-Length: \(body.utf8.count)\r\n" }
        request += "\r\n" + body
        guard connection.send(request) else { throw Failure(description: "cannot send the request") }
        let answer = connection.read(within: .seconds(10)).bytes
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = answer.indices.first(where: { Array(answer[$0..<min($0 + 4, answer.count)]) == separator }) else {
            throw Failure(description: "no complete answer")
        }
        let head = String(decoding: answer[..<end], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "bad status line")
        }
        var fields: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = String(line[line.index(after: colon)...].drop(while: { $0 == " " }))
        }
        return Answer(status: status, headers: fields, body: String(decoding: answer[(end + 4)...], as: UTF8.self))
    }
}
