/// How a value is written into a master log line: on one line, bounded, and splittable.
///
/// Values can come from a worker (its hello's runtime name, a reason it gave): a newline in one
/// must not forge a line of `master.log`, an escape sequence must not reach an operator's
/// terminal through `botmaster logs`, and a megabyte must not be written at every start.
enum LogValue {
    /// The most characters of one value written; the rest is counted, not written.
    static let maximumCharacters = 256

    /// `value` bounded, with control characters escaped, quoted when it has spaces, quotes,
    /// `=` or escapes (so `key=value` pairs split cleanly).
    static func render(_ value: String) -> String {
        var body = ""
        var needsQuotes = value.isEmpty
        var written = 0
        var cut = 0
        for scalar in value.unicodeScalars {
            if written >= maximumCharacters {
                cut += 1
                continue
            }
            written += 1
            switch scalar {
            case "\\":
                body += "\\\\"
            case "\"":
                body += "\\\""
                needsQuotes = true
            case " ", "=":
                body.unicodeScalars.append(scalar)
                needsQuotes = true
            case "\n":
                body += "\\n"
                needsQuotes = true
            case "\r":
                body += "\\r"
                needsQuotes = true
            case "\t":
                body += "\\t"
                needsQuotes = true
            default:
                if scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    body += "\\u{" + String(scalar.value, radix: 16) + "}"
                    needsQuotes = true
                } else {
                    body.unicodeScalars.append(scalar)
                }
            }
        }
        if cut > 0 {
            body += "…(+\(cut) more)"
            needsQuotes = true
        }
        return needsQuotes ? "\"" + body + "\"" : body
    }

    /// A log message made safe the same way, without quotes: messages are written by the
    /// master, but some carry text from elsewhere.
    static func message(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7f...0x9f).contains($0.value) }) || text.count > 512
        else { return text }
        let rendered = render(String(text.prefix(512)))
        return rendered.hasPrefix("\"") ? String(rendered.dropFirst().dropLast()) : rendered
    }
}
