// swift-tools-version:6.0
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "atlantis",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "atlantis", targets: ["atlantis"]),
        .executable(name: "atlantis-router", targets: ["atlantis-router"]),
        .executable(name: "atlantis-bench", targets: ["atlantis-bench"]),
        .library(name: "ZooKeeper", targets: ["ZooKeeper"]),
        .library(name: "ZKModel", targets: ["ZKModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.1.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CZooKeeper",
            pkgConfig: nil,
            providers: [.apt(["libzookeeper-mt-dev"])]
        ),
        .systemLibrary(
            name: "CLDAP",
            pkgConfig: nil,
            providers: [.apt(["libldap-dev"])]
        ),
        .target(
            name: "LDAP",
            dependencies: [
                "CLDAP",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ZooKeeper",
            dependencies: [
                "CZooKeeper",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Secrets",
            dependencies: ["ZKModel", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ZKAccess",
            dependencies: ["ZooKeeper", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "YAMLValue",
            dependencies: ["ZKModel", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ZKModel",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterData",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        .target(name: "CEpoll"),
        .target(
            name: "RouterProxy",
            dependencies: [
                "RouterData",
                "CEpoll",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The request path is a hot path: no dynamic exclusivity checks in release builds.
            swiftSettings: swiftSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        .target(
            name: "Docker",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Reconciler",
            dependencies: [
                "ZooKeeper",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "OrderedCollections", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Manager",
            dependencies: [
                "Reconciler",
                "ZooKeeper",
                "YAMLValue",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "Sources/Agents/Manager",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ManagerAPI",
            dependencies: ["ZKModel"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Dashboard",
            dependencies: [
                "ProcessMemory",
                "Reconciler",
                "ZKModel",
                "ZooKeeper",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Agents/Dashboard",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ManagerService",
            dependencies: [
                "Dashboard",
                "LDAP",
                "Secrets",
                "Manager",
                "ManagerAPI",
                "Reconciler",
                "ZooKeeper",
                "Docker",
                "ZKModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/Agents/ManagerService",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ManagerClient",
            dependencies: [
                "ManagerAPI",
                "ZKModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "GitOps",
            dependencies: [
                "Manager",
                "ManagerAPI",
                "ManagerClient",
                "Spawn",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Agents/GitOps",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Builder",
            dependencies: [
                "Docker",
                "Reconciler",
                "Spawn",
                "YAMLValue",
                "ZKModel",
                "ZooKeeper",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Agents/Builder",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Scheduler",
            dependencies: [
                "Reconciler",
                "ZooKeeper",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Agents/Scheduler",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Supervisor",
            dependencies: [
                "Docker",
                "ManagerAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                "Secrets",
                "Reconciler",
                "Spawn",
                "ZooKeeper",
                "ZKModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Agents/Supervisor",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterAgent",
            dependencies: [
                "ProcessMemory",
                "Reconciler",
                "RouterData",
                "RouterProxy",
                "ZooKeeper",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Sources/Agents/RouterAgent",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "DevCluster",
            dependencies: [
                "Secrets",
                "ZKAccess",
                "Docker",
                "Spawn",
                "ZooKeeper",
                "ZKModel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AgentOptions",
            dependencies: [
                "ZKAccess",
                "ZooKeeper",
                "ZKModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterCommandLine",
            dependencies: [
                "AgentOptions",
                "RouterAgent",
                "RouterProxy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "atlantis-router",
            dependencies: [
                "ProcessMemory",
                "RouterAgent",
                "RouterCommandLine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CLIOptions",
            dependencies: [
                "AgentOptions",
                "ZKAccess",
                "Manager",
                "ManagerAPI",
                "ManagerClient",
                "ZooKeeper",
                "ZKModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "atlantis",
            dependencies: [
                "AgentOptions",
                "RouterCommandLine",
                "Builder",
                "Secrets",
                "CLIOptions",
                "LDAP",
                "GitOps",
                "ManagerAPI",
                "ManagerClient",
                "ManagerService",
                "DevCluster",
                "Docker",
                "Manager",
                "RouterAgent",
                "RouterProxy",
                "Scheduler",
                "Supervisor",
                "Reconciler",
                "ZKModel",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "atlantis-bench",
            dependencies: [
                "CEpoll",
                "AgentOptions",
                "CLIOptions",
                "ManagerAPI",
                "ManagerClient",
                "Docker",
                "Manager",
                "Reconciler",
                "RouterAgent",
                "RouterData",
                "Supervisor",
                "ZKModel",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "ProcessMemory",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Spawn",
            swiftSettings: swiftSettings
        ),
        .target(
            name: "TestSupport",
            dependencies: ["Spawn"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZKAccessTests",
            dependencies: ["Manager", "TestSupport", "ZKAccess", "ZKModel", "ZooKeeper"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LDAPIntegrationTests",
            dependencies: ["LDAP", "Spawn", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "CLIOptionsTests",
            dependencies: ["CLIOptions"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZKModelTests",
            dependencies: ["ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZooKeeperIntegrationTests",
            dependencies: ["Spawn", "TestSupport", "ZooKeeper"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RouterDataTests",
            dependencies: ["RouterData"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RouterProxyTests",
            dependencies: [
                "Spawn", "TestSupport",
                "RouterProxy",
                "RouterData",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RouterAgentTests",
            dependencies: [
                "ProcessMemory", "Spawn", "TestSupport",
                "Manager",
                "RouterAgent",
                "RouterProxy",
                "RouterData",
                "ZooKeeper",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerTests",
            dependencies: [
                "Spawn", "TestSupport",
                "Reconciler",
                "ZooKeeper",
                "ZKModel",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SupervisorTests",
            dependencies: ["Supervisor", "Docker", "Reconciler", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "DashboardTests",
            dependencies: ["Dashboard", "Docker", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Scheduler", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BuilderTests",
            dependencies: ["Builder", "Docker", "TestSupport", "YAMLValue", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "BuilderIntegrationTests",
            dependencies: [
                "Builder", "Docker", "Manager", "ManagerService", "Reconciler", "Spawn", "TestSupport", "ZKModel",
                "ZooKeeper",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SupervisorIntegrationTests",
            dependencies: [
                "Spawn", "TestSupport",
                "Supervisor",
                "Manager",
                "Docker",
                "Reconciler",
                "ZKModel",
                "ZooKeeper",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ClusterIntegrationTests",
            dependencies: [
                "Spawn", "TestSupport",
                "Manager",
                "ManagerAPI",
                "ManagerService",
                "RouterAgent",
                "Scheduler",
                "Supervisor",
                "RouterData",
                "Docker",
                "Reconciler",
                "RouterProxy",
                "ZKModel",
                "ZooKeeper",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ManagerTests",
            dependencies: ["Spawn", "TestSupport", "Manager", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ManagerServiceTests",
            dependencies: [
                "Dashboard",
                "Docker",
                "LDAP",
                "Secrets",
                .product(name: "Crypto", package: "swift-crypto"),
                "Spawn", "TestSupport",
                "Manager",
                "ManagerAPI",
                "ManagerClient",
                "ManagerService",
                "ZKModel",
                "ZooKeeper",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ManagerIntegrationTests",
            dependencies: ["Spawn", "TestSupport", "Manager", "ZKModel", "ZooKeeper"],
            swiftSettings: swiftSettings
        ),
    ]
)
