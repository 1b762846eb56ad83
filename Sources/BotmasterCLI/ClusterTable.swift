import BotmasterControl

/// `botmaster status --cluster` as text: one line per member, then its bots with their
/// epochs, the bots waiting for an owner and any warnings.
enum ClusterTable {
    static func render(_ view: ClusterStatus, nowMs: Int64) -> String {
        var out = "cluster: node \(view.node), lease TTL \(view.leaseTTLMs / 1000)s"
        out += view.ok ? ", Redis OK\n" : ", Redis FAILING: \(view.error ?? "unknown")\n"
        var rows = [["NODE", "ADDRESS", "BOTS", "CAPACITY", "RENEWED"]]
        for member in view.members {
            let age = member.renewedMs > 0 ? "\(max(0, nowMs - member.renewedMs) / 1000)s ago" : "-"
            rows.append([
                member.node + (member.node == view.node ? " (this)" : ""), member.address, "\(member.bots.count)", "\(member.capacity)",
                age,
            ])
        }
        out += TextColumns.lines(rows, rightAligned: [2, 3]).map { $0 + "\n" }.joined()
        for member in view.members where !member.bots.isEmpty {
            out += "\(member.node): " + member.bots.map { "\($0.bot)@\($0.epoch)" }.joined(separator: " ") + "\n"
        }
        if !view.waiting.isEmpty { out += "waiting for an owner: " + view.waiting.joined(separator: " ") + "\n" }
        for warning in view.warnings { out += "warning: \(warning)\n" }
        return out
    }
}
