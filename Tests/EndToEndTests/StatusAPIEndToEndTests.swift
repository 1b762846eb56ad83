import BotmasterControl
import BotmasterSystem
import Glibc
import Testing

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

@Suite(.serialized) struct StatusAPIEndToEndTests {
    @Test func statusHealthWorkerDetailAndMetricsServeTheFleet() async throws {
        let fleet = try TestFleet(workers: [
            // A bot whose Bot API is unreachable: it runs and reports its (idle) counters.
            "ok": "token_env = \"OK_TOKEN\"\napi_base = \"http://127.0.0.1:9\"",
            "crasher": TestFleet.pythonWorker("crash") + "\n[limits]\nrestart_cooldown = \"0s\"\nmax_restarts_per_hour = 1\n",
        ])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["OK_TOKEN": "1:not-a-real-token"])
        try await fleet.waitForStatus {
            fleet.worker("crasher", in: $0)?.state == "errored" && $0.master.workersRunning == 1 && fleet.worker("ok", in: $0)?.bot != nil
        }
        let port = fleet.statusPort

        let status = try HTTPGet.get(port: port, path: "/api/workers/status")
        #expect(status.status == 200)
        #expect(status.headers["content-type"] == "application/json")
        let document = try JSONDecoder().decode(FleetStatus.self, from: Data(status.body.utf8))
        #expect(document.workers.map(\.id) == ["crasher", "ok"])

        let detail = try HTTPGet.get(port: port, path: "/api/workers/crasher")
        #expect(detail.status == 200)
        #expect(detail.body.contains(#""restart_history":[{"at_ms":"#))
        #expect(detail.body.contains(#""kind":"exit","reason":"exit 3""#))
        #expect(try HTTPGet.get(port: port, path: "/api/workers/nosuch").status == 404)

        let health = try HTTPGet.get(port: port, path: "/health")
        #expect(health.status == 503)
        #expect(health.body.contains(#""status":"unhealthy""#))
        #expect(health.body.contains("bot crasher is errored (exit 3)"))
        #expect(try HTTPGet.get(port: port, path: "/health/live").status == 200)

        let (reloadCode, _) = try fleet.run(["reload"])
        #expect(reloadCode == 0)
        let metrics = try HTTPGet.get(port: port, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        for line in [
            #"botmaster_workers{state="errored"} 1.0"#, #"botmaster_workers{state="running"} 1.0"#,
            #"botmaster_worker_up{bot="ok"} 1.0"#, #"botmaster_worker_up{bot="crasher"} 0.0"#,
            #"botmaster_worker_restarts_total{bot="crasher",reason="exit"} 1"#, #"botmaster_reloads_total{result="applied"} 1"#,
            "botmaster_last_reload_success 1.0", "# TYPE botmaster_worker_rss_bytes gauge", "# TYPE botmaster_master_rss_bytes gauge",
            #"botmaster_bot_jobs_ok_total{bot="ok"} 0"#, #"botmaster_bot_source_ok{bot="ok"} 1.0"#,
            #"botmaster_worker_state{bot="crasher",state="errored"} 1.0"#, #"botmaster_worker_state{bot="ok",state="errored"} 0.0"#,
            // Every counter of a known label set is there from 0.
            #"botmaster_worker_restarts_total{bot="ok",reason="exit"} 0"#, #"botmaster_reloads_total{result="rejected"} 0"#,
            #"botmaster_build_info{version=""#, "# TYPE process_cpu_seconds_total counter", "# TYPE process_open_fds gauge",
        ] {
            #expect(metrics.body.contains(line), "missing \(line)")
        }
        let checked = try promtool(["check", "metrics"], input: metrics.body)
        #expect(checked.code == 0, "promtool check metrics: \(checked.output)")

        // Every metric the shipped alert rules and Grafana dashboard use is one /metrics serves,
        // rate() and increase() apply to counters only, and the dashboard charts every family.
        let counters = Set(
            metrics.body.split(separator: "\n").compactMap { line -> String? in
                line.hasPrefix("# TYPE ") && line.hasSuffix(" counter") ? String(line.split(separator: " ")[2]) : nil
            })
        var dashboardNames: Set<String> = []
        for file in ["prometheus/botmaster-alerts.yml", "grafana/botmaster-dashboard.json"] {
            let text = String(decoding: try #require(FileSystem.readFile("\(opsDirectory)/\(file)")), as: UTF8.self)
            // The fleet source's series exist only with BOTMASTER_FLEET_URL, the cluster's only in
            // cluster mode: FleetSourceEndToEndTests and ClusterEndToEndTests check them.
            for name in Set(metricNames(in: text)) where !isModeOnlyMetric(name) {
                #expect(
                    metrics.body.contains("\n\(name){") || metrics.body.contains("\n\(name) "), "\(file) uses \(name), which /metrics lacks"
                )
            }
            for name in countedMetricNames(in: text) {
                #expect(
                    counters.contains(name) || isModeOnlyMetric(name),
                    "\(file) applies rate() or increase() to \(name), not a counter")
            }
            if file.hasPrefix("grafana") { dashboardNames = Set(metricNames(in: text)) }
        }
        let served = Set(metricNames(in: metrics.body)).filter { $0.hasPrefix("botmaster_") }
        #expect(served.subtracting(dashboardNames).isEmpty, "the dashboard charts none of \(served.subtracting(dashboardNames).sorted())")

        let (restartCode, _) = try fleet.run(["restart", "crasher", "--no-wait"])
        #expect(restartCode == 0)
        try fleet.write(id: "crasher", "enabled = false")
        _ = try fleet.run(["reload"])
        try await fleet.waitForStatus { fleet.worker("crasher", in: $0)?.state == "disabled" }
        let healthy = try HTTPGet.get(port: port, path: "/health")
        #expect(healthy.status == 200, "a disabled bot is not unhealthy")
        FileSystem.removeFile("\(fleet.home)/workers/crasher.toml")
        _ = try fleet.run(["reload"])
        try await fleet.waitForStatus { fleet.worker("crasher", in: $0) == nil }
        #expect(
            !(try HTTPGet.get(port: port, path: "/metrics").body.contains(#"botmaster_worker_up{bot="crasher"}"#)),
            "gone bots leave the gauges")
    }

    @Test func tokenIsRequiredEverywhereButLiveness() async throws {
        let fleet = try TestFleet(workers: ["a": ""])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["STATUS_TOKEN": "s3cret-token"])
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        let port = fleet.statusPort
        for path in ["/", "/api/workers/status", "/api/workers/a", "/health", "/metrics"] {
            let refused = try HTTPGet.get(port: port, path: path)
            #expect(refused.status == 401, "\(path)")
            #expect(refused.headers["www-authenticate"] == "Bearer")
            #expect(try HTTPGet.get(port: port, path: path, headers: ["Authorization": "Bearer wrong-token"]).status == 401)
            #expect(try HTTPGet.get(port: port, path: path, headers: ["Authorization": "Bearer s3cret-token"]).status == 200, "\(path)")
        }
        #expect(try HTTPGet.get(port: port, path: "/api/workers/status?token=s3cret-token").status == 200)
        #expect(try HTTPGet.get(port: port, path: "/health/live").status == 200)
    }

    @Test func listeningBeyondLoopbackWithoutATokenIsWarnedAbout() async throws {
        let fleet = try TestFleet(workers: ["a": ""])
        defer { fleet.tearDown() }
        try fleet.startMaster(environment: ["STATUS_HOST": "0.0.0.0"])
        try await fleet.waitForStatus { $0.master.workersRunning == 1 }
        #expect(fleet.masterLog.contains("the status API listens beyond this host without a token; set STATUS_TOKEN"))
        #expect(try HTTPGet.get(port: fleet.statusPort, path: "/health").status == 200)
    }

    @Test func aTakenStatusPortStopsTheMasterWithAnErrorAndNoWorkerLeft() async throws {
        let fleet = try TestFleet(workers: ["a": ""])
        defer { fleet.tearDown() }
        // Occupy the fleet's status port.
        let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blocker) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(fleet.statusPort).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(blocker, 1) == 0)
        let (code, output) = try fleet.run(["start"])
        #expect(code == 1)
        #expect(output.contains("the master exited during start-up (exit 1)"), "\(output)")
        #expect(fleet.masterLog.contains("master stopped with an error"))
        #expect(FileSystem.directoryEntries("\(fleet.home)/run/workers") == [], "the fleet was drained")
    }

    @Test func secretsNeverReachTheLogs() async throws {
        let botToken = "123456789:AAF-known-bot-token-for-the-log-test"
        let fleet = try TestFleet(workers: [
            "secretive": TestFleet.pythonWorker("garbage") + "\n[limits]\nrestart_cooldown = \"100ms\"\n",
            "quiet": "",
        ])
        defer { fleet.tearDown() }
        // The token in the master's environment, which every worker inherits ([env] refuses one).
        let master = try fleet.startMaster(environment: [
            "STATUS_TOKEN": "status-token-never-logged", "BOTMASTER_LOG_LEVEL": "trace", "TELEGRAM_BOT_TOKEN": botToken,
        ])
        try await fleet.waitForStatus { (fleet.worker("secretive", in: $0)?.restarts ?? 0) >= 3 }
        _ = try fleet.run(["reload"])
        _ = try fleet.run(["restart", "quiet"])
        kill(master, SIGTERM)
        _ = await fleet.waitForMasterExit(timeout: .seconds(10))
        var files = (FileSystem.directoryEntries("\(fleet.home)/logs") ?? []).map { "\(fleet.home)/logs/\($0)" }
        files.append("\(fleet.home)/master.stderr")
        #expect(files.count >= 3)
        for file in files {
            let text = String(decoding: FileSystem.readFile(file) ?? [], as: UTF8.self)
            #expect(!text.contains("AAF-known-bot-token"), "\(file) holds the bot token")
            #expect(!text.contains("status-token-never-logged"), "\(file) holds the status token")
        }
        #expect(fleet.masterLog.contains("worker broke the protocol"), "the run did log the failures")
    }
}

/// The `botmaster_…` metric names in a text.
/// The metric names (`botmaster_…`, `process_…`) in `text`.
func metricNames(in text: String) -> [String] {
    text.matches(of: /\b(?:botmaster|process)_[a-z0-9_]+/).map { String($0.output) }
}

/// The metric names `rate()` or `increase()` is applied to in `text`.
private func countedMetricNames(in text: String) -> [String] {
    text.matches(of: /(?:rate|increase)\(((?:botmaster|process)_[a-z0-9_]+)/).map { String($0.output.1) }
}

/// Series served only in a mode the status test's fleet does not run in (a fleet source,
/// cluster mode).
func isModeOnlyMetric(_ name: String) -> Bool {
    name.hasPrefix("botmaster_fleet_source_") || name.hasPrefix("botmaster_cluster_")
}
