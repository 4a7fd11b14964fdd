// swift-tools-version:5.10
// cnn-inte: train a CNN, interpret one hidden layer with CNN-INTE (after Liu et al. 2018),
// and render every test instance's explanation through Graphviz and Cairo.
//
// Data flows one way: Datasets -> Network -> Interpretation -> Report, the CLI on top and
// Numerics (matrices, parallel loops on OpenMP's threads, the PRNG, oneDNN and its GEMM,
// safetensors, SHA-256, resource lookup) under all of them, and OutputFolders (staging,
// manifests, journal, lock, interruption) under every stage that writes. No module imports one to its right: Interpretation labels images
// through the `ImageLabeller` protocol (Datasets), which the CNN implements.
// C libraries come in as system-library targets (module.modulemap + shim.h); each has a
// small Swift wrapper in the module that uses it, so no other code touches raw C pointers.
import PackageDescription

let package = Package(
    name: "cnn-inte",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "cnn-inte", targets: ["cnn-inte"]),
        .library(name: "CNNInte", targets: ["Numerics", "OutputFolders", "Datasets", "Network", "Interpretation", "Report", "ONNX", "Sharding"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.0.0"),
        // ONNX's protobuf messages; Sources/ONNX/Generated is made once by its plugin (see there).
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // C bridges. apt providers are named so SwiftPM can say what is missing.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CGraphviz", pkgConfig: "libgvc", providers: [.apt(["libgraphviz-dev"])]),
        .systemLibrary(name: "CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),

        .systemLibrary(name: "CDNNL", providers: [.apt(["libdnnl-dev"])]),
        // C helpers for what Swift cannot call: variadic functions such as prctl, and
        // OpenMP (libgomp) parallel regions, the thread pool oneDNN runs on.
        .target(name: "CSupport", linkerSettings: [.linkedLibrary("gomp")]),
        // PNG (libpng) and JPEG (libjpeg-turbo) decoding for image folders, in C because
        // both libraries report errors by longjmp, which must not cross Swift frames.
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]),
        // Shared numerics under every stage.
        .target(name: "Numerics", dependencies: ["CDNNL", "CSupport"]),
        // The output folder's machinery, used by every stage that writes: staging folders,
        // manifests, the journal and lock, parent watching and clean interruption.
        .target(name: "OutputFolders", dependencies: ["Numerics", "CSupport"]),

        // Pipeline stages.
        .target(
            name: "Datasets",
            dependencies: ["Numerics", "CZlib", "CImageCodecs"],
            resources: [.copy("Resources/mnist5k")]
        ),
        .target(name: "Network", dependencies: ["Numerics", "OutputFolders", "Datasets"]),
        .target(name: "Interpretation", dependencies: ["Numerics", "OutputFolders", "Datasets"]),
        // Reading ONNX models (the user's own network); beside Network, which it will lower onto.
        .target(name: "ONNX", dependencies: ["Numerics", "Datasets", "Network", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["Generated/README.md"]),
        // Templates/ (top level, so it is easy to find and restyle) comes in through the
        // symbolic link Sources/Report/Templates.
        .target(
            name: "Report",
            dependencies: ["CGraphviz", "CCairo", "CZlib", "Numerics", "OutputFolders", "Datasets", "Interpretation",
                           .product(name: "Mustache", package: "swift-mustache")],
            resources: [.process("Templates")]
        ),
        // Past one machine: a run split into shards, run as Slurm job arrays or Kubernetes
        // Indexed Jobs over a shared folder.
        .target(name: "Sharding", dependencies: ["CSupport", "Numerics", "OutputFolders", "Datasets", "Network", "Interpretation", "ONNX", "Report"]),
        .target(
            name: "CLI",
            dependencies: [
                "Numerics", "OutputFolders", "Datasets", "Network", "Interpretation", "Report", "ONNX", "Sharding",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "cnn-inte", dependencies: ["CLI", "OutputFolders", "Report"]),
        // The mutation fuzzer of the file readers (run by hand, not in CI; see README).
        .executableTarget(name: "cnn-inte-fuzz", dependencies: ["Numerics", "Datasets", "Network", "Interpretation", "ONNX"]),

        // A toy data set and a labeller that needs no training, shared by the tests.
        .target(name: "TestSupport", dependencies: ["Datasets", "Numerics"], path: "Tests/TestSupport"),
        .testTarget(name: "NumericsTests", dependencies: ["Numerics"]),
        .testTarget(name: "OutputFoldersTests", dependencies: ["OutputFolders", "Numerics"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Numerics", "TestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "NetworkTests", dependencies: ["Network", "Numerics", "Datasets", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "InterpretationTests", dependencies: ["Interpretation", "Numerics", "Datasets", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "ReportTests", dependencies: ["Report", "TestSupport"]),
        .testTarget(name: "ONNXTests", dependencies: ["ONNX", "Network", "Datasets"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ShardingTests", dependencies: ["Sharding", "Interpretation", "Network", "Datasets", "Numerics", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["CLI", "cnn-inte", "TestSupport", "ONNX"]),
    ]
)
