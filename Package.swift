// swift-tools-version:6.1
import PackageDescription

/// Strict concurrency everywhere; the whole package builds in the Swift 6 language mode.
let strictSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "botmaster",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "botmaster", targets: ["botmaster"]),
        .executable(name: "botworker", targets: ["botworker"]),
        .executable(name: "botmaster-bench", targets: ["botmaster-bench"]),
        .executable(name: "botapi-sandbox", targets: ["botapi-sandbox"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        // The HTTP types' codec under the webhook endpoint's channel handler; Hummingbird builds on it.
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.24.0"),
        // SHA-256 for token fingerprints; already built for AsyncHTTPClient's TLS.
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
    ],
    targets: [
        // The wire protocol between master and worker. Deliberately free of Foundation and NIO so
        // that the worker, of which 1000 run at once, stays small.
        .target(name: "BotmasterIPC", exclude: ["README.md"], swiftSettings: strictSettings),
        // Every raw system call (spawn, signals, waitpid, /proc, locks) in one place.
        .target(name: "BotmasterSystem", dependencies: ["CBotmasterShims"], swiftSettings: strictSettings),
        // glibc's GNU extensions to posix_spawn, which Swift's Glibc module does not import.
        .target(name: "CBotmasterShims"),
        // libsystemd, for sd_notify: readiness, status, reload, stop and watchdog for Type=notify units.
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "BotmasterSystemd", dependencies: ["CSystemd"], swiftSettings: strictSettings),
        // hiredis, the C client of Redis (Debian's libhiredis-dev), and a small Swift client on it.
        // Not through pkg-config: Debian's hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM
        // rejects with a warning on every build; the header and library are in the standard paths.
        .systemLibrary(name: "CHiredis", providers: [.apt(["libhiredis-dev"])]),
        // SQLite (Debian's libsqlite3-dev), for the embedded store, called synchronously from the
        // worker's own threads. Not through pkg-config, whose library directory would come first
        // on botworker's library path, before the one that makes it link SQLite statically
        // (Sources/botworker/Linking); the header and library are in the standard paths.
        .systemLibrary(name: "CSQLite", providers: [.apt(["libsqlite3-dev"])]),
        // Redis URLs, replies and errors: no dependencies, so BotmasterConfig can check REDIS_URL.
        .target(name: "BotRedisCore", swiftSettings: strictSettings),
        .target(
            name: "BotRedis",
            dependencies: ["CHiredis", "BotRedisCore", "BotmasterSystem", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strictSettings
        ),
        // Fleet definitions (`workers/*.toml`) and master settings, with precise errors.
        .target(
            name: "BotmasterConfig",
            dependencies: [
                "BotmasterSystem", "BotmasterIPC", "BotmasterControl", "BotRedisCore", .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings
        ),
        // The supervision core: restart policy, worker lifecycle, the supervisor service.
        .target(
            name: "BotmasterSupervisor",
            dependencies: [
                "BotmasterIPC", "BotmasterSystem", "BotmasterConfig", "BotmasterControl",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // The status API, health checks, Prometheus metrics and the dashboard (Hummingbird 2).
        .target(
            name: "BotmasterHTTP",
            dependencies: [
                "BotmasterSupervisor", "BotmasterControl", "BotmasterSystem", "BotmasterConfig", "BotmasterIPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The OpenAPI document, served at /api/openapi.json from the bytes compiled in.
            resources: [.embedInCode("openapi.json")],
            swiftSettings: strictSettings
        ),
        // The CLI ↔ master control protocol over the run directory's Unix socket.
        .target(name: "BotmasterControl", dependencies: ["BotmasterIPC"], swiftSettings: strictSettings),
        // The bot pipeline's pure parts: dedup, rapid-fire batching, rate limits, backoff, breaker.
        // Clock-injected values with no I/O, so every rule is tested without time passing.
        .target(
            name: "BotRuntime",
            dependencies: [
                "BotmasterSystem",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: strictSettings
        ),
        // Telegram Bot API shapes (Update, Message, Chat, User, ResponseParameters) and the client
        // the runtime calls the API with (AsyncHTTPClient).
        .target(
            name: "BotAPI",
            dependencies: [
                "BotmasterIPC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The bot runtime with its I/O: update sources, the job scheduler, handlers, handoff.
        .target(
            name: "BotEngine",
            dependencies: [
                "BotRuntime", "BotAPI", "BotmasterSystem", "BotmasterIPC", "BotRedis", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "HeapModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // A local stand-in for the Telegram Bot API with test controls (inject messages, 429s, 5xx).
        .target(
            name: "BotAPISandbox",
            dependencies: [
                "BotAPI",
                "BotmasterIPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "botapi-sandbox",
            dependencies: ["BotAPISandbox", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        // The worker side of the protocol, shared by `botworker` and anyone embedding it.
        .target(
            name: "BotworkerKit",
            dependencies: ["BotmasterIPC", "BotmasterSystem", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings),
        // The HTTP fleet source (`BOTMASTER_FLEET_URL`): bots and their tokens from the platform's
        // own API, asked with AsyncHTTPClient; tokens are shown only as SHA-256 fingerprints.
        .target(
            name: "BotmasterFleetSource",
            dependencies: [
                "BotmasterSupervisor", "BotmasterConfig", "BotmasterIPC",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // Cluster mode: membership, rendezvous assignment and per-bot leases with fencing
        // epochs in Redis, shared by the masters of several hosts.
        .target(
            name: "BotmasterCluster",
            dependencies: [
                "BotmasterSupervisor", "BotmasterConfig", "BotmasterControl", "BotmasterSystem", "BotRedis",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        // The `botmaster` commands: argument parsing, daemonizing, talking to the master.
        .target(
            name: "BotmasterCLI",
            dependencies: [
                "BotmasterSupervisor", "BotmasterConfig", "BotmasterControl", "BotmasterSystem", "BotmasterSystemd", "BotmasterHTTP",
                "BotmasterFleetSource", "BotmasterCluster",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(name: "botmaster", dependencies: ["BotmasterCLI"], swiftSettings: strictSettings),
        // Linked as a fixed-address (non-PIE) executable: a thousand of them start at once, and
        // without PIE the loader has ~1,000 relocations to apply instead of ~108,000 (a start
        // of about 4.2 ms of CPU instead of 5.7 ms, and no private copies of relocated pages).
        // The price: the worker's own code is not address-randomized (its heap, stack and
        // shared libraries still are). And without the dynamic symbol table that the static
        // standard library's link arguments ask for (`-export-dynamic`: 27,000 symbols), the
        // loader and the runtime's start-up `dladdr` have ~600 to search: 3.1 → 2.0 ms of CPU per
        // start (`perf stat -r 300`); what a worker prints when it crashes (SIGSEGV) does not change.
        // C++'s standard library, SQLite, hiredis and zlib are linked in from their static
        // archives (Sources/botworker/Linking/README.md says how and what it costs): the loader
        // has 126 relocations to do instead of 3,498, a start takes 1.55 ms of CPU instead of
        // 2.85, and an idle worker keeps 0.31 MB of private memory instead of 0.52.
        .executableTarget(
            name: "botworker",
            dependencies: [
                "BotworkerKit", "BotEngine", "BotAPI", "BotRedis", "BotmasterIPC", "BotmasterSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            exclude: ["Linking"],
            swiftSettings: strictSettings,
            linkerSettings: [
                .unsafeFlags([
                    "-Xclang-linker", "-no-pie", "-Xlinker", "--no-export-dynamic",
                    "-L\(Context.packageDirectory)/Sources/botworker/Linking",
                ])
            ]),
        // A real redis-server on a free port, for the tests and the benchmark.
        .target(name: "RedisServerFixture", dependencies: ["BotRedis", "BotmasterSystem"], swiftSettings: strictSettings),
        .executableTarget(
            name: "botmaster-bench",
            dependencies: [
                "BotmasterControl", "BotmasterSystem", "BotRuntime", "BotAPISandbox", "BotRedis", "BotEngine", "BotAPI",
                "RedisServerFixture",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(name: "BotmasterIPCTests", dependencies: ["BotmasterIPC", "BotworkerKit"], swiftSettings: strictSettings),
        .testTarget(name: "BotmasterConfigTests", dependencies: ["BotmasterConfig"], swiftSettings: strictSettings),
        .testTarget(
            name: "BotmasterFleetSourceTests", dependencies: ["BotmasterFleetSource", "BotmasterConfig", "BotmasterIPC"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "BotmasterClusterTests",
            dependencies: ["BotmasterCluster", "BotEngine", "BotRedis", "BotmasterSupervisor", "RedisServerFixture"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "BotmasterSupervisorTests",
            dependencies: ["BotmasterSupervisor", "BotmasterSystem", "BotmasterCLI"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "BotRedisTests", dependencies: ["BotRedis", "BotmasterSystem", "RedisServerFixture"], swiftSettings: strictSettings),
        .testTarget(
            name: "BotEngineTests",
            dependencies: [
                "BotEngine", "BotRedis", "BotmasterIPC", "BotmasterSystem", "RedisServerFixture",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: strictSettings),
        .testTarget(name: "BotRuntimeTests", dependencies: ["BotRuntime", "BotmasterSystem"], swiftSettings: strictSettings),
        .testTarget(
            name: "BotmasterHTTPTests",
            dependencies: [
                "BotmasterHTTP", "BotmasterControl", "BotmasterSupervisor", "BotmasterConfig", "BotmasterIPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "BotmasterCluster", "BotmasterControl", "BotmasterIPC", "BotmasterSystem", "BotAPI", "BotAPISandbox", "BotRedis",
                "RedisServerFixture",
            ],
            swiftSettings: strictSettings
        ),
    ]
)
