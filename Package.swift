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
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CZooKeeper",
            pkgConfig: nil,
            providers: [.apt(["libzookeeper-mt-dev"])]
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
            name: "ZKModel",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterData",
            dependencies: [],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RouterProxy",
            dependencies: [
                "RouterData",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            // The request path is a hot path: no dynamic exclusivity checks in release builds.
            swiftSettings: swiftSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .target(
            name: "Docker",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
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
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Agents",
            dependencies: [
                "Docker",
                "Reconciler",
                "RouterData",
                "RouterProxy",
                "ZooKeeper",
                "ZKModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "atlantis",
            dependencies: [
                "Agents",
                "Spawn",
                "Docker",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                "Reconciler",
                "RouterData",
                "RouterProxy",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                "ZKModel",
                "ZooKeeper",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
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
            name: "ZKModelTests",
            dependencies: ["ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ZooKeeperIntegrationTests",
            dependencies: [
                "TestSupport","ZooKeeper"],
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
                "TestSupport",
                "RouterProxy", "RouterData",
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RouterIntegrationTests",
            dependencies: [
                "TestSupport",
                "Agents", "RouterProxy", "RouterData", "ZooKeeper", "ZKModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ReconcilerTests",
            dependencies: [
                "TestSupport",
                "Reconciler", "ZooKeeper", "ZKModel",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SupervisorTests",
            dependencies: ["Agents", "Docker", "Reconciler", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SchedulerTests",
            dependencies: ["Agents", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SupervisorIntegrationTests",
            dependencies: [
                "TestSupport", "Agents", "Docker", "Reconciler", "ZKModel", "ZooKeeper", "RouterProxy",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ManagerTests",
            dependencies: [
                "TestSupport","Agents", "ZKModel"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ManagerIntegrationTests",
            dependencies: [
                "TestSupport","Agents", "ZKModel", "ZooKeeper"],
            swiftSettings: swiftSettings
        ),
    ]
)
