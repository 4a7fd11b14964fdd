import ArgumentParser
import Datasets
import Foundation
import Numerics

/// Which data set to use; shared by every command that reads images.
public struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A folder holding the four MNIST-format IDX files (raw or .gz). Default: the embedded 5,000-digit MNIST sample.",
        valueName: "DIR"))
    public var data: String?

    @Option(name: .long, help: ArgumentHelp(
        "A text file of class names, one per line in label order. Default: classes.txt in the data folder, Fashion-MNIST's names for Fashion-MNIST, else the labels' numbers.",
        valueName: "FILE"))
    public var classes: String?

    public init() {}

    /// What was asked for, nil when neither option was given (each command has its own
    /// default: the embedded sample to train on, the model's own data to interpret).
    public var selection: DataSelection? {
        data == nil && classes == nil ? nil : DataSelection(folder: data, classesFile: classes)
    }

    /// The data asked for, or the embedded sample.
    public func load() throws -> Dataset { try (selection ?? DataSelection()).load() }
}

/// Options about how a command talks to the user.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print no progress on stderr.")
    public var quiet = false

    public init() {}

    public var progress: ProgressSink { StderrProgress.sink(quiet: quiet) }
}

/// Seed, threads and where results go; shared by the commands that compute.
struct RunOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Seed for every random choice: the same seed and thread count give the same results.")
    var seed: UInt64 = 1
    @Option(parsing: .unconditional, help: "Cores to use (default: all).") var threads: Int?
    @Option(help: ArgumentHelp("Folder for all results.", valueName: "DIR")) var output = "Output"

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1 (got \(threads))") }
    }

    /// Applies --threads before any parallel work starts.
    @discardableResult
    func apply() -> Int {
        if let threads { Parallel.threads = threads }
        return Parallel.threads
    }

    var modelFolder: String { (output as NSString).appendingPathComponent("model") }
    var interpretationFolder: String { (output as NSString).appendingPathComponent("interpretation") }
}

/// A library configuration's own range checks, reported as ArgumentParser reports its
/// validation errors (one line, exit status 64).
func validating(_ check: () throws -> Void) throws {
    do { try check() } catch let error as UsageError { throw ValidationError(error.description) }
}
