/// Appends JSON tokens to a byte buffer: the hand-written writer of the documents on hot paths
/// (the status document of 1000 workers, a bot's job documents), where a generic
/// `JSONEncoder` costs many times more. Strings are escaped as `JSONEncoder` escapes them with
/// `.withoutEscapingSlashes`, so a writer's output reads back the same with any JSON decoder.
package struct JSONWriter {
    package private(set) var bytes: [UInt8]

    package init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Text that is JSON already: punctuation, keys with their quotes.
    package mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes that are JSON already.
    package mutating func append(_ json: [UInt8]) {
        bytes.append(contentsOf: json)
    }

    package mutating func integer(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            unsigned(value.magnitude)
        } else {
            unsigned(UInt64(value))
        }
    }

    package mutating func unsigned(_ value: UInt64) {
        var digitCount = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            digitCount += 1
        }
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: digitCount))
        var rest = value
        for index in stride(from: start + digitCount - 1, through: start, by: -1) {
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    package mutating func bool(_ value: Bool) {
        raw(value ? "true" : "false")
    }

    package mutating func optionalInteger(_ value: Int64?) {
        if let value { integer(value) } else { raw("null") }
    }

    package mutating func optionalUnsigned(_ value: UInt64?) {
        if let value { unsigned(value) } else { raw("null") }
    }

    package mutating func optionalString(_ value: String?) {
        if let value { string(value) } else { raw("null") }
    }

    /// `key` and `value`, or nothing when there is no value (an optional JSONEncoder omits).
    package mutating func integerIfPresent(_ key: StaticString, _ value: Int64?) {
        guard let value else { return }
        raw(key)
        integer(value)
    }

    /// `key` and `value`, or nothing when there is no value.
    package mutating func stringIfPresent(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        raw(key)
        string(value)
    }

    /// `[1,2,3]`.
    package mutating func integers(_ values: some Sequence<Int64>) {
        raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { raw(",") }
            integer(value)
        }
        raw("]")
    }

    /// `{…}` with the fields `body` writes: each present one after a comma but the first, each
    /// absent optional left out (as `JSONEncoder` leaves it out).
    package mutating func object(_ body: (inout JSONObjectFields) -> Void) {
        var fields = JSONObjectFields(json: self)
        bytes = []  // the fields' writer holds the only reference: appends do not copy
        fields.json.raw("{")
        body(&fields)
        fields.json.raw("}")
        self = fields.json
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// A JSON string: quotes, backslashes and control characters escaped as JSONEncoder does.
    package mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): raw("\\\"")
            case UInt8(ascii: "\\"): raw("\\\\")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case 0..<0x20:
                raw("\\u00")
                bytes.append(Self.hexDigit(byte >> 4))
                bytes.append(Self.hexDigit(byte & 0xF))
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// The fields of one object being written (``JSONWriter/object(_:)``).
package struct JSONObjectFields {
    fileprivate var json: JSONWriter
    private var empty = true

    fileprivate init(json: JSONWriter) {
        self.json = json
    }

    private mutating func key(_ name: StaticString) {
        json.raw(empty ? "\"" : ",\"")
        json.raw(name)
        json.raw("\":")
        empty = false
    }

    package mutating func integer(_ name: StaticString, _ value: Int64?) {
        guard let value else { return }
        key(name)
        json.integer(value)
    }

    package mutating func string(_ name: StaticString, _ value: String?) {
        guard let value else { return }
        key(name)
        json.string(value)
    }

    package mutating func bool(_ name: StaticString, _ value: Bool?) {
        guard let value else { return }
        key(name)
        json.bool(value)
    }

    package mutating func strings(_ name: StaticString, _ values: [String]?) {
        guard let values else { return }
        key(name)
        json.raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { json.raw(",") }
            json.string(value)
        }
        json.raw("]")
    }

    /// A nested value that writes itself.
    package mutating func value(_ name: StaticString, _ value: (some JSONWritable)?) {
        guard let value else { return }
        key(name)
        value.write(to: &json)
    }
}

/// A value written by hand with ``JSONWriter`` where a generic `JSONEncoder` costs too much.
package protocol JSONWritable {
    /// Appends this value's JSON.
    func write(to json: inout JSONWriter)
}

extension JSONWritable {
    /// This value's JSON alone.
    package var jsonBytes: [UInt8] {
        var json = JSONWriter(capacity: 128)
        write(to: &json)
        return json.bytes
    }
}
