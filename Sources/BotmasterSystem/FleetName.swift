/// The fleet's name in shared namespaces (Redis key prefixes): `BOTMASTER_FLEET` when set,
/// else the last component of the fleet's home, so two homes on one host do not meet.
public enum FleetName {
    public static func resolve(environment: [String: String]) -> String {
        if let name = environment["BOTMASTER_FLEET"]?.trimmingSpaces(), !name.isEmpty { return name }
        let home = environment["BOTMASTER_HOME"] ?? ""
        let last = home.split(separator: "/").last.map(String.init) ?? ""
        return last.isEmpty ? "default" : last
    }
}
