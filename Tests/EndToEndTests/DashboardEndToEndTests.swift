import BotmasterControl
import BotmasterIPC
import BotmasterSystem
import Glibc
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The dashboard's API (history, a bot's log lines and dead letters, the restart and retry
/// actions behind the status token) and its pages rendered by headless Chromium.
@Suite struct DashboardEndToEndTests {
    static let token = "dashboard-token"
    static let auth = ["Authorization": "Bearer \(token)"]

    /// A fleet of an echo bot, a bot whose handler cannot be reached (its first message becomes
    /// a dead letter) and a plain process, with history sampled every 300 ms.
    static func start() async throws -> (TestFleet, SandboxProcess) {
        let fleet = try TestFleet(workers: [:])
        let sandbox: SandboxProcess
        do { sandbox = try SandboxProcess(directory: fleet.home) } catch {
            fleet.tearDown()
            throw error
        }
        do {
            try await startFleet(fleet, sandbox)
        } catch {
            // The caller's defers are not set yet: nothing may outlive a failed start.
            fleet.tearDown()
            sandbox.stop()
            throw error
        }
        return (fleet, sandbox)
    }

    private static func startFleet(_ fleet: TestFleet, _ sandbox: SandboxProcess) async throws {
        let common = "api_base = \"\(sandbox.apiBase)\"\n[batch]\nquiet = \"0s\"\n[limits]\nheartbeat_interval = \"200ms\"\n"
        try fleet.write(id: "echo", "token_env = \"ECHO_TOKEN\"\n" + common)
        try fleet.write(
            id: "shop",
            "token_env = \"SHOP_TOKEN\"\n" + common
                + "[handler]\nkind = \"http\"\nurl = \"http://127.0.0.1:9/\"\n[retry]\nmax_attempts = 1\n")
        try fleet.write(id: "ticker", "protocol = \"none\"\ncommand = [\"sleep\", \"1000\"]\n")
        try fleet.startMaster(environment: [
            "STATUS_TOKEN": token, "ECHO_TOKEN": "7301:echo-secret", "SHOP_TOKEN": "7302:shop-secret",
            "BOTMASTER_HISTORY_INTERVAL": "300ms", "BOTMASTER_MEMORY_CHECK_INTERVAL": "300ms",
        ])
        try await fleet.waitForStatus { $0.master.workersRunning == 3 && $0.workers.allSatisfy { $0.id == "ticker" || $0.bot != nil } }
        for index in 1...3 { try sandbox.send(bot: 7301, chat: 11, "hello \(index)") }
        try sandbox.send(bot: 7302, chat: 12, "a secret order text")
        // Generous: this suite shares the machine with Chromium and a pip install (ops/test.sh).
        try await sandbox.waitForSent(bot: 7301, chat: 11, count: 3, timeout: .seconds(60))
        try await fleet.waitForStatus(timeout: .seconds(60)) { fleet.worker("shop", in: $0)?.bot?.deadLettered == 1 }
    }

    @Test func theDashboardAPIServesHistoryLogsAndDeadLettersAndActsBehindTheToken() async throws {
        let (fleet, sandbox) = try await Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        let port = fleet.statusPort
        // History: the fleet's and a bot's samples, with the echo bot's messages counted once.
        var fleetHistory = try Self.history(port: port, path: "/api/history")
        let deadline = MonotonicTime.now() + .seconds(20)
        while fleetHistory.samples.map(\.messages).reduce(0, +) < 3 && MonotonicTime.now() < deadline {
            try await Task.sleep(for: .milliseconds(300))
            fleetHistory = try Self.history(port: port, path: "/api/history")
        }
        #expect(fleetHistory.intervalMs == 300)
        #expect(fleetHistory.samples.map(\.messages).reduce(0, +) >= 3, "\(fleetHistory)")
        #expect(fleetHistory.samples.last?.pssBytes ?? 0 > 0)
        let echoHistory = try Self.history(port: port, path: "/api/workers/echo/history")
        #expect(echoHistory.samples.count > 0 && echoHistory.samples.count <= 120)
        #expect(try HTTPGet.get(port: port, path: "/api/workers/nosuch/history", headers: Self.auth).status == 404)
        #expect(try HTTPGet.get(port: port, path: "/api/history").status == 401, "the token guards the history")

        // Log lines: the last ones, bounded.
        let logs = try HTTPGet.get(port: port, path: "/api/workers/ticker/logs?lines=5", headers: Self.auth)
        #expect(logs.status == 200)
        let lines = try #require(try JSONValue.parse(logs.body)["lines"]?.array)
        #expect(lines.count <= 5)
        #expect(try HTTPGet.get(port: port, path: "/api/workers/ticker/logs?lines=0", headers: Self.auth).status == 400)
        #expect(try HTTPGet.get(port: port, path: "/api/workers/nosuch/logs", headers: Self.auth).status == 404)

        // Dead letters: listed without the messages' texts.
        let letters = try HTTPGet.get(port: port, path: "/api/workers/shop/dead-letters", headers: Self.auth)
        #expect(letters.status == 200)
        let entries = try #require(try JSONValue.parse(letters.body)["entries"]?.array)
        #expect(entries.count == 1 && entries.first?["chat"] == .number(12) && entries.first?["messages"] == .number(1))
        #expect(!letters.body.contains("secret order"), "no message text over HTTP: \(letters.body)")
        #expect(try HTTPGet.get(port: port, path: "/api/workers/ticker/dead-letters", headers: Self.auth).status == 409)

        // Actions: the token, then a page of another site, are refused; then they work.
        let before = try #require(fleet.worker("echo", in: try fleet.client.send(.status).status!)?.pid)
        #expect(try HTTPGet.request("POST", port: port, path: "/api/workers/echo/restart").status == 401)
        let crossSite = try HTTPGet.request(
            "POST", port: port, path: "/api/workers/echo/restart", headers: Self.auth.merging(["Origin": "http://evil.example"]) { $1 })
        #expect(crossSite.status == 403, "\(crossSite.body)")
        let sameSite = try HTTPGet.request(
            "POST", port: port, path: "/api/workers/echo/restart", headers: Self.auth.merging(["Origin": "http://127.0.0.1"]) { $1 })
        #expect(sameSite.status == 200, "\(sameSite.body)")
        let restarted = try await fleet.waitForStatus {
            let echo = fleet.worker("echo", in: $0)
            return echo?.state == "running" && echo?.pid != before
        }
        #expect(fleet.worker("echo", in: restarted)?.restarts == 1)
        #expect(try HTTPGet.request("POST", port: port, path: "/api/workers/nosuch/restart", headers: Self.auth).status == 404)
        let retried = try HTTPGet.request("POST", port: port, path: "/api/workers/shop/dead-letters/retry", headers: Self.auth)
        #expect(retried.status == 200 && retried.body.contains("retrying 1"), "\(retried.body)")
    }

    @Test func theDashboardRendersTheFleetAndABotsPageInHeadlessChromium() async throws {
        let (fleet, sandbox) = try await Self.start()
        defer {
            fleet.tearDown()
            sandbox.stop()
        }
        // A broadcast slow enough to be running while the pages are rendered.
        let made = try HTTPGet.request(
            "POST", port: fleet.statusPort, path: "/api/bots/echo/broadcasts", headers: Self.auth,
            body: #"{"text":"news","chats":[\#((100...199).map(String.init).joined(separator: ","))],"rate":1}"#)
        #expect(made.status == 201, "\(made.body)")
        try await fleet.waitForStatus { fleet.worker("echo", in: $0)?.bot?.broadcastsRunning == 1 }
        try await Task.sleep(for: .seconds(1))  // a few history samples
        let base = "http://127.0.0.1:\(fleet.statusPort)/?token=\(Self.token)"
        let fleetPage = try Self.chromium(["--dump-dom", base], home: fleet.home)
        #expect(fleetPage.contains(#"<tr data-bot="echo">"#) && fleetPage.contains(#"<tr data-bot="ticker">"#))
        #expect(fleetPage.contains("<b>3</b> of <b>3</b> running"))
        #expect(fleetPage.contains(#"<span class="state running">running</span>"#))
        #expect(fleetPage.contains(##"<a href="#bot/shop">shop</a>"##), "a bot's name links to its page")
        #expect(fleetPage.contains(#"<td class="num bad" data-label="Dead">1</td>"#), "the bot counters: shop's dead letter")
        #expect(fleetPage.contains(#"data-series="messages""#) && fleetPage.contains("<polyline points="), "the fleet's sparklines")
        #expect(fleetPage.contains("<b>1</b> broadcasting"), "the summary counts the bots sending a broadcast")
        #expect(fleetPage.contains(#"data-label="Broadcast">9"#), "echo's running broadcast: the chats it has left")

        let echoPage = try Self.chromium(["--dump-dom", base + "#bot/echo"], home: fleet.home)
        #expect(echoPage.contains(#"<tr data-broadcast="1"><td data-label="ID">1</td><td data-label="State"><span class="state running">"#))
        #expect(echoPage.contains(#"data-action="pause""#) && echoPage.contains(#"data-action="cancel""#), "its pause and cancel buttons")
        #expect(echoPage.contains(#"<td class="num" data-label="Rate">1/s</td>"#))

        let botPage = try Self.chromium(["--dump-dom", base + "#bot/shop"], home: fleet.home)
        #expect(botPage.contains(#"<h1 id="bot-title">shop</h1>"#))
        #expect(botPage.contains(#"<div class="counter" data-counter="dead letters"><span>dead letters</span><b>1</b></div>"#))
        #expect(botPage.contains("<td>handler.kind</td><td>http</td>"), "the settings with their sources")
        #expect(botPage.contains("<td>12</td><td>batch</td><td>1</td><td>1</td>"), "the dead letter: chat, kind, messages, attempts")
        #expect(!botPage.contains("secret order"), "no message text on the page")
        // Log lines start with their UTC timestamp.
        #expect(botPage.contains(#"<pre id="bot-log">20"#), "the bot's recent log lines")
        #expect(botPage.contains(#"data-series="memory""#))

        // Screenshots, for people: kept where BOTMASTER_TEST_SCREENSHOTS points.
        let keep = Environment.current()["BOTMASTER_TEST_SCREENSHOTS"]
        for (name, url) in [("fleet", base), ("bot", base + "#bot/shop")] {
            let path = "\(keep ?? fleet.home)/dashboard-\(name).png"
            _ = try Self.chromium(["--window-size=1400,900", "--screenshot=\(path)", url], home: fleet.home)
            #expect(FileSystem.readFile(path)?.prefix(4) == [0x89, 0x50, 0x4E, 0x47], "\(path) is a PNG")
        }
    }

    static func history(port: Int, path: String) throws -> HistorySeries {
        let answer = try HTTPGet.get(port: port, path: path, headers: auth)
        try #require(answer.status == 200, "\(path): \(answer.status) \(answer.body)")
        return try JSONDecoder().decode(HistorySeries.self, from: Data(answer.body.utf8))
    }

    /// Runs headless Chromium on a page with four seconds of virtual time; its standard output.
    static func chromium(_ arguments: [String], home: String) throws -> String {
        let browser = try #require(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileSystem.isExecutable),
            "headless Chromium is needed for the dashboard test: ops/install-deps.sh installs Debian's chromium")
        let run = try runProgram(
            [
                browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(home)/chromium",
                "--virtual-time-budget=4000",
            ] + arguments, stderr: false)
        #expect(run.code == 0, "chromium exited \(run.code)")
        return run.output
    }
}
