import Glibc
import Synchronization

/// The `Date` header a response carries (RFC 9110's IMF-fixdate), formatted at most once a
/// second however many responses share that second.
enum HTTPDateHeader {
    private static let cache = Mutex<(second: time_t, text: String)>((0, ""))

    /// Now, as the header's text.
    static func now() -> String {
        let second = time(nil)
        return cache.withLock { cache in
            if cache.second != second { cache = (second, format(second)) }
            return cache.text
        }
    }

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `second` (seconds since the epoch).
    static func format(_ second: time_t) -> String {
        var time = second
        var fields = tm()
        gmtime_r(&time, &fields)
        // The C locale's day and month names are the English ones the format requires; the
        // process never sets another.
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: 40) { buffer in
            let count = strftime(buffer.baseAddress, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &fields)
            return String(decoding: UnsafeRawBufferPointer(start: buffer.baseAddress, count: count), as: UTF8.self)
        }
    }
}
