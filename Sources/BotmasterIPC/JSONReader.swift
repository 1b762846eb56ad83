/// A strict pull reader of one JSON document, for the few shapes on a bot's hot path (an
/// update, a Bot API answer, a job document), where Foundation's generic `JSONDecoder` was the
/// largest single cost of a worker (about a sixth of its CPU per webhook update), and for the
/// welcome and config frames every starting worker reads (``JSONValue``).
///
/// It is deliberately narrower than `JSONDecoder`: anything it is not sure of (an escaped key,
/// a repeated field, a number with a fraction or exponent where an integer is expected, a
/// string that is not valid UTF-8, nesting deeper than ``maximumDepth``) is a ``Failure``, and
/// the callers (``JSONReadable/decode(_:)``) then decode the same bytes with `JSONDecoder`.
/// So whatever it accepts, it reads exactly as `JSONDecoder` would, and the rest is decided by
/// `JSONDecoder` as before. It holds a pointer into the caller's bytes and lives only inside
/// ``read(_:_:)``.
package struct JSONReader {
    /// Not read here; `JSONDecoder` decides.
    package struct Failure: Error {
        package init() {}
    }

    /// Nesting the reader follows before it gives up (below `JSONDecoder`'s own limit).
    static let maximumDepth = 256

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0

    private init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Reads the whole of `bytes` with `body`, which reads one value; only white space may follow it.
    package static func read<T>(_ bytes: UnsafeRawBufferPointer, _ body: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> T {
        var reader = JSONReader(bytes)
        let value = try body(&reader)
        reader.skipWhiteSpace()
        guard reader.index == bytes.count else { throw Failure() }
        return value
    }

    /// Reads `bytes` with `body`.
    package static func read<T>(_ bytes: [UInt8], _ body: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> T {
        let result: Result<T, Failure> = bytes.withUnsafeBytes { raw in Result { () throws(Failure) -> T in try read(raw, body) } }
        return try result.get()
    }

    // MARK: Values

    /// An object: `field` is called with each key and must read (or ``skip()``) its value.
    package mutating func object(_ field: (inout JSONReader, Key) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"))
        try enter()
        skipWhiteSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            depth -= 1
            return
        }
        while true {
            skipWhiteSpace()
            let key = try rawKey()
            skipWhiteSpace()
            try expect(UInt8(ascii: ":"))
            skipWhiteSpace()
            try field(&self, key)
            skipWhiteSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                depth -= 1
                return
            default: throw Failure()
            }
        }
    }

    /// An array, each element read by `element`.
    package mutating func array<T>(_ element: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> [T] {
        try expect(UInt8(ascii: "["))
        try enter()
        var values: [T] = []
        skipWhiteSpace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            depth -= 1
            return values
        }
        while true {
            skipWhiteSpace()
            values.append(try element(&self))
            skipWhiteSpace()
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "]"):
                depth -= 1
                return values
            default: throw Failure()
            }
        }
    }

    /// `null` as nil, anything else read by `value`.
    package mutating func optional<T>(_ value: (inout JSONReader) throws(Failure) -> T) throws(Failure) -> T? {
        if peek() == UInt8(ascii: "n") {
            try literal("null")
            return nil
        }
        return try value(&self)
    }

    /// `null` as nil, else ``string()``.
    package mutating func optionalString() throws(Failure) -> String? {
        try optional { reader throws(Failure) in try reader.string() }
    }

    /// `null` as nil, else ``int64()``.
    package mutating func optionalInt64() throws(Failure) -> Int64? {
        try optional { reader throws(Failure) in try reader.int64() }
    }

    /// `null` as nil, else ``int()``.
    package mutating func optionalInt() throws(Failure) -> Int? {
        try optional { reader throws(Failure) in try reader.int() }
    }

    /// `null` as nil, else ``bool()``.
    package mutating func optionalBool() throws(Failure) -> Bool? {
        try optional { reader throws(Failure) in try reader.bool() }
    }

    /// An integer without fraction or exponent that fits an `Int64`.
    package mutating func int64() throws(Failure) -> Int64 {
        let negative = peek() == UInt8(ascii: "-")
        if negative { index += 1 }
        let start = index
        var magnitude: UInt64 = 0
        while index < bytes.count, case let digit = bytes[index] &- UInt8(ascii: "0"), digit < 10 {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit))
            guard !overflow1, !overflow2 else { throw Failure() }
            magnitude = sum
            index += 1
        }
        // No digits, a leading zero, or a fraction or exponent: not an integer this reader takes.
        guard index > start, bytes[start] != UInt8(ascii: "0") || index == start + 1 else { throw Failure() }
        if let following = peek(), following == UInt8(ascii: ".") || following | 0x20 == UInt8(ascii: "e") { throw Failure() }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw Failure() }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw Failure() }
        return Int64(magnitude)
    }

    /// An `Int` (an integer in `Int64`'s range on the 64-bit platforms botmaster runs on).
    package mutating func int() throws(Failure) -> Int {
        Int(try int64())
    }

    /// `true` or `false`.
    package mutating func bool() throws(Failure) -> Bool {
        if peek() == UInt8(ascii: "t") {
            try literal("true")
            return true
        }
        try literal("false")
        return false
    }

    /// A string, its escapes decoded; it must be valid UTF-8.
    package mutating func string() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: raw, as: UTF8.self) }
                guard let text = String(validating: raw, as: UTF8.self) else { throw Failure() }
                return text
            }
            if byte == UInt8(ascii: "\\") {
                index = start - 1
                return try escapedString()
            }
            guard byte >= 0x20 else { throw Failure() }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw Failure()
    }

    /// Any value, as a ``JSONValue``; a number as a `Double`, as `JSONValue`'s `Decodable`
    /// conformance reads it. An object with a repeated key is left to `JSONDecoder`.
    package mutating func value() throws(Failure) -> JSONValue {
        skipWhiteSpace()
        switch peek() {
        case UInt8(ascii: "{"):
            var members: [String: JSONValue] = [:]
            try object { reader, key throws(Failure) in
                guard let name = String(validating: key.bytes, as: UTF8.self), members[name] == nil else { throw Failure() }
                members[name] = try reader.value()
            }
            return .object(members)
        case UInt8(ascii: "["): return .array(try array { reader throws(Failure) in try reader.value() })
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool(try bool())
        case UInt8(ascii: "n"):
            try literal("null")
            return .null
        default:
            let start = index
            try skipNumber()
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
            guard let number = Double(text), number.isFinite else { throw Failure() }
            return .number(number)
        }
    }

    /// Passes over one value of any kind, checking its grammar.
    package mutating func skip() throws(Failure) {
        switch peek() {
        case UInt8(ascii: "{"): try object { reader, _ throws(Failure) in try reader.skip() }
        case UInt8(ascii: "["): _ = try array { reader throws(Failure) in try reader.skip() }
        case UInt8(ascii: "\""): try skipString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default: try skipNumber()
        }
    }

    // MARK: Keys

    /// An object key as its raw bytes (keys with escapes are left to `JSONDecoder`).
    package struct Key {
        let bytes: UnsafeRawBufferPointer

        /// Whether the key is exactly `name`.
        package static func == (key: Key, name: StaticString) -> Bool {
            guard key.bytes.count == name.utf8CodeUnitCount else { return false }
            return key.bytes.elementsEqual(UnsafeRawBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
        }
    }

    /// Fields already read from one object: a repeated one is left to `JSONDecoder` (which
    /// keeps the first).
    package struct SeenFields {
        private var bits: UInt64 = 0

        package init() {}

        /// Marks field `number` (0–63) as read; a second time is a ``Failure``.
        package mutating func mark(_ number: Int) throws(Failure) {
            let bit: UInt64 = 1 << UInt64(number)
            guard bits & bit == 0 else { throw Failure() }
            bits |= bit
        }

        /// Whether field `number` was read.
        package func contains(_ number: Int) -> Bool { bits & (1 << UInt64(number)) != 0 }
    }

    // MARK: Scanning

    private func peek() -> UInt8? {
        index < bytes.count ? bytes[index] : nil
    }

    private mutating func next() -> UInt8? {
        guard index < bytes.count else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private mutating func expect(_ byte: UInt8) throws(Failure) {
        guard next() == byte else { throw Failure() }
    }

    private mutating func enter() throws(Failure) {
        depth += 1
        guard depth <= Self.maximumDepth else { throw Failure() }
    }

    private mutating func skipWhiteSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count,
            UnsafeRawBufferPointer(rebasing: bytes[index..<index + count])
                .elementsEqual(UnsafeRawBufferPointer(start: word.utf8Start, count: count))
        else { throw Failure() }
        index += count
    }

    private mutating func rawKey() throws(Failure) -> Key {
        try expect(UInt8(ascii: "\""))
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                index += 1
                return Key(bytes: UnsafeRawBufferPointer(rebasing: bytes[start..<index - 1]))
            }
            guard byte != UInt8(ascii: "\\"), byte >= 0x20 else { throw Failure() }
            index += 1
        }
        throw Failure()
    }

    private mutating func skipString() throws(Failure) {
        try expect(UInt8(ascii: "\""))
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""): return
            case UInt8(ascii: "\\"):
                guard let escaped = next() else { throw Failure() }
                if escaped == UInt8(ascii: "u") {
                    _ = try hexQuad()
                } else {
                    guard Self.simpleEscape(escaped) != nil else { throw Failure() }
                }
            case ..<0x20: throw Failure()
            default: continue
            }
        }
        throw Failure()
    }

    /// A number by JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    private mutating func skipNumber() throws(Failure) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), first &- UInt8(ascii: "0") < 10 else { throw Failure() }
        index += 1
        if first != UInt8(ascii: "0") { skipDigits() }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard try digitsFollow() else { throw Failure() }
        }
        if let e = peek(), e | 0x20 == UInt8(ascii: "e") {
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard try digitsFollow() else { throw Failure() }
        }
    }

    private mutating func digitsFollow() throws(Failure) -> Bool {
        let start = index
        skipDigits()
        return index > start
    }

    private mutating func skipDigits() {
        while index < bytes.count, bytes[index] &- UInt8(ascii: "0") < 10 { index += 1 }
    }

    /// The slow path of ``string()``: a string with escapes, decoded byte by byte.
    private mutating func escapedString() throws(Failure) -> String {
        try expect(UInt8(ascii: "\""))
        var utf8: [UInt8] = []
        while let byte = next() {
            switch byte {
            case UInt8(ascii: "\""):
                guard let text = String(validating: utf8, as: UTF8.self) else { throw Failure() }
                return text
            case UInt8(ascii: "\\"):
                guard let escaped = next() else { throw Failure() }
                if escaped == UInt8(ascii: "u") {
                    try appendUnicodeEscape(to: &utf8)
                } else {
                    guard let simple = Self.simpleEscape(escaped) else { throw Failure() }
                    utf8.append(simple)
                }
            case ..<0x20: throw Failure()
            default: utf8.append(byte)
            }
        }
        throw Failure()
    }

    /// `\uXXXX`, with a surrogate pair as one scalar; a lone surrogate is left to `JSONDecoder`.
    private mutating func appendUnicodeEscape(to utf8: inout [UInt8]) throws(Failure) {
        var value = UInt32(try hexQuad())
        if (0xD800...0xDBFF).contains(value) {
            guard next() == UInt8(ascii: "\\"), next() == UInt8(ascii: "u") else { throw Failure() }
            let low = UInt32(try hexQuad())
            guard (0xDC00...0xDFFF).contains(low) else { throw Failure() }
            value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(value) {
            throw Failure()
        }
        guard let scalar = Unicode.Scalar(value) else { throw Failure() }
        utf8.append(contentsOf: UTF8.encode(scalar)!)
    }

    private mutating func hexQuad() throws(Failure) -> UInt16 {
        var value: UInt16 = 0
        for _ in 0..<4 {
            guard let byte = next() else { throw Failure() }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Failure()
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    private static func simpleEscape(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "\""): UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): UInt8(ascii: "\\")
        case UInt8(ascii: "/"): UInt8(ascii: "/")
        case UInt8(ascii: "b"): 0x08
        case UInt8(ascii: "f"): 0x0C
        case UInt8(ascii: "n"): 0x0A
        case UInt8(ascii: "r"): 0x0D
        case UInt8(ascii: "t"): 0x09
        default: nil
        }
    }
}
