import Glibc

/// Source networks allowed to reach the webhook endpoint, as CIDR blocks (IPv4 and IPv6).
public struct NetworkAllowlist: Sendable, Equatable {
    /// One CIDR block.
    public struct Network: Sendable, Equatable {
        var address: [UInt8]
        var prefixLength: Int

        /// Parses `a.b.c.d/n` or `x:y::/n`; a bare address is a single host.
        public init?(cidr: String) {
            let parts = cidr.split(separator: "/", maxSplits: 1).map(String.init)
            guard let first = parts.first, let address = NetworkAllowlist.parse(first) else { return nil }
            let length = parts.count == 2 ? Int(parts[1]) : address.count * 8
            guard let length, (0...address.count * 8).contains(length) else { return nil }
            self.address = address
            self.prefixLength = length
        }

        func contains(_ candidate: [UInt8]) -> Bool {
            guard candidate.count == address.count else { return false }
            var bits = prefixLength
            for index in 0..<address.count where bits > 0 {
                let mask: UInt8 = bits >= 8 ? 0xFF : ~(0xFF >> UInt8(bits))
                if candidate[index] & mask != address[index] & mask { return false }
                bits -= 8
            }
            return true
        }
    }

    public var networks: [Network]

    /// `nil` when any entry does not parse (the settings reject those with a message).
    public init?(_ cidrs: [String]) {
        var networks: [Network] = []
        for cidr in cidrs {
            guard let network = Network(cidr: cidr) else { return nil }
            networks.append(network)
        }
        self.networks = networks
    }

    /// Whether `address` (text form, IPv4, IPv6 or IPv4-mapped IPv6) may post.
    public func allows(_ address: String) -> Bool {
        guard var bytes = Self.parse(address) else { return false }
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])  // ::ffff:a.b.c.d from a dual-stack listener
        }
        return networks.contains { $0.contains(bytes) }
    }

    static func parse(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { Array($0) }
        }
        return nil
    }
}
