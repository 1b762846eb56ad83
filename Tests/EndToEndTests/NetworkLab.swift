import BotmasterSystem
import Glibc
import Testing

/// Several hosts on this machine: one network namespace per host, joined by two bridges in the
/// test's own namespace — the *API network* (the Bot API stand-in listens at the bridge's
/// address) and the *data network* (Redis). A host is cut off from Redis alone by taking its
/// data link down, as when a private network fails while the internet still answers: the
/// hardest case for fencing, because its bots could still poll Telegram.
///
/// Needs root and `ip` (iproute2); ``skipReason`` says why not otherwise. Names carry a tag of
/// the test process, so runs side by side never meet, and ``tearDown()`` removes all of it.
final class NetworkLab {
    let tag: String
    private let subnet: Int
    private(set) var hosts: [String] = []

    /// Why the lab cannot run here, or `nil` when it can.
    static var skipReason: String? {
        guard geteuid() == 0 else { return "network namespaces need root (ip netns); run the suite as root to test several hosts" }
        guard access("/usr/sbin/ip", X_OK) == 0 || access("/sbin/ip", X_OK) == 0 else { return "iproute2 (ip) is not installed" }
        let probe = "bmprobe\(getpid() % 100_000)"
        guard (try? runProgram(["/usr/sbin/ip", "netns", "add", probe]))?.code == 0 else {
            return "this kernel or container does not allow network namespaces (ip netns add failed)"
        }
        _ = try? runProgram(["/usr/sbin/ip", "netns", "del", probe])
        return nil
    }

    /// The bridges; the hosts come with ``addHost(_:api:)``.
    init() throws {
        // Five base-36 digits at most: interface names stay within the kernel's 15 characters.
        let seed = UInt64(getpid()) &* 1_000_003 &+ UInt64(WallClock.nowMilliseconds() % 1_000_000)
        tag = String(seed % 60_466_176, radix: 36)
        subnet = 20 + Int(getpid() % 200)
        do {
            for (bridge, network) in [(apiBridge, apiNetwork), (dataBridge, dataNetwork)] {
                try ip("link", "add", bridge, "type", "bridge")
                try ip("addr", "add", "\(network).1/24", "dev", bridge)
                try ip("link", "set", bridge, "up")
            }
        } catch {
            tearDown()
            throw error
        }
    }

    private var apiBridge: String { "bma\(tag)" }
    private var dataBridge: String { "bmd\(tag)" }
    private var apiNetwork: String { "10.213.\(subnet)" }
    private var dataNetwork: String { "10.214.\(subnet)" }

    /// The stand-in's address as the hosts reach it (this namespace's end of the API bridge).
    var apiGateway: String { "\(apiNetwork).1" }

    /// Adds host number `index` (1…99): a namespace on the data network, and on the API network
    /// too when `api`.
    func addHost(_ index: Int, api: Bool = true) throws {
        let namespace = self.namespace(index)
        try ip("netns", "add", namespace)
        hosts.append(namespace)
        try ip("-n", namespace, "link", "set", "lo", "up")
        for (network, bridge, letter) in [(dataNetwork, dataBridge, "d"), (apiNetwork, apiBridge, "a")] where api || letter == "d" {
            let outside = link(letter, index)
            try ip("link", "add", outside, "type", "veth", "peer", "name", outside + "n", "netns", namespace)
            try ip("link", "set", outside, "master", bridge, "up")
            try ip("-n", namespace, "addr", "add", "\(network).\(10 + index)/24", "dev", outside + "n")
            try ip("-n", namespace, "link", "set", outside + "n", "up")
        }
    }

    func namespace(_ index: Int) -> String { "bm\(tag)h\(index)" }
    private func link(_ letter: String, _ index: Int) -> String { "\(letter)\(tag)\(index)" }

    /// Host `index`'s address on the data network.
    func dataAddress(_ index: Int) -> String { "\(dataNetwork).\(10 + index)" }

    /// Host `index`'s address on the API network: what the stand-in records as a poll's host.
    func apiAddress(_ index: Int) -> String { "\(apiNetwork).\(10 + index)" }

    /// The command prefix that runs a program on host `index`.
    func run(on index: Int) -> [String] { ["/usr/sbin/ip", "netns", "exec", namespace(index)] }

    /// Takes host `index`'s data link down (it keeps the API network), or brings it back.
    func setDataLink(of index: Int, up: Bool) throws {
        try ip("link", "set", link("d", index), up ? "up" : "down")
    }

    func tearDown() {
        for namespace in hosts { _ = try? runProgram(["/usr/sbin/ip", "netns", "del", namespace]) }
        for bridge in [apiBridge, dataBridge] { _ = try? runProgram(["/usr/sbin/ip", "link", "del", bridge]) }
        hosts = []
    }

    private func ip(_ arguments: String...) throws {
        let (code, output) = try runProgram(["/usr/sbin/ip"] + arguments)
        guard code == 0 else { throw HTTPGet.Failure(description: "ip \(arguments.joined(separator: " ")): \(output)") }
    }
}
