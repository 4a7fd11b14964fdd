import ArgumentParser
import Datasets
import Foundation
import Numerics

/// Which data set to use; shared by every command that reads images.
public struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "The data: a folder of the four MNIST-format IDX files (raw or .gz), CIFAR-10/100 binary batches, or class folders of images (DIR/train/<class>/*, DIR/test/<class>/*, or DIR/<class>/*). Default: the embedded 5,000-digit MNIST sample.",
        valueName: "DIR"))
    public var data: String?

    @Option(name: .long, help: ArgumentHelp(
        "A text file of class names, one per line in label order. Default: classes.txt in the data folder, the source's own names (class folders, CIFAR's names file, Fashion-MNIST's), else the labels' numbers. Named classes may have no images; otherwise a class without training images is refused.",
        valueName: "FILE"))
    public var classes: String?

    @Option(name: .customLong("test-fraction"), help: ArgumentHelp(
        "For class folders without train/ and test/: the share of each class held out for testing (default 0.2), stratified.",
        valueName: "F"))
    public var testFraction: Double?

    @Option(name: .customLong("split-seed"), parsing: .unconditional, help: ArgumentHelp(
        "Seed of that split (default 1); separate from --seed, so every command sees the same test images.", valueName: "N"))
    public var splitSeed: UInt64?

    @Option(name: .long, help: ArgumentHelp(
        "Bring every image to HEIGHTxWIDTH, the aspect ratio not kept (area-averaging when shrinking, bilinear when growing), e.g. 32x32.", valueName: "HxW"))
    public var resize: String?

    @Option(name: .customLong("resize-shorter"), help: ArgumentHelp(
        "Bring every image's shorter side to N pixels, the longer in proportion, resampled as Pillow's bilinear (torchvision's Resize(N)).",
        valueName: "N"))
    public var resizeShorter: Int?

    @Option(name: .customLong("center-crop"), help: ArgumentHelp(
        "Then keep the centre HEIGHTxWIDTH of every image (torchvision's CenterCrop), e.g. 224x224.", valueName: "HxW"))
    public var centerCrop: String?

    @Option(name: .long, help: ArgumentHelp(
        "Convert every image to 1 (grey) or 3 (RGB) channels. Default: as stored (an image folder with any colour image is RGB).",
        valueName: "C"))
    public var channels: Int?

    @Flag(name: .customLong("skip-bad-images"), help: "Leave out image files that do not decode (counted and listed by 'data info') instead of refusing the folder.")
    public var skipBadImages = false

    public init() {}

    public func validate() throws {
        if let resize, ImageSize(resize) == nil {
            throw ValidationError("--resize takes HEIGHTxWIDTH, each 1-4096, e.g. 32x32 (got '\(resize)')")
        }
        if let resizeShorter, !(1...4096).contains(resizeShorter) { throw ValidationError("--resize-shorter takes 1-4096 pixels (got \(resizeShorter))") }
        if let centerCrop, ImageSize(centerCrop) == nil {
            throw ValidationError("--center-crop takes HEIGHTxWIDTH, each 1-4096, e.g. 224x224 (got '\(centerCrop)')")
        }
        if resize != nil && (resizeShorter != nil || centerCrop != nil) {
            throw ValidationError("--resize sets both sides; --resize-shorter and --center-crop frame as torchvision does: give one or the other")
        }
        if let channels, channels != 1 && channels != 3 { throw ValidationError("--channels must be 1 (grey) or 3 (RGB) (got \(channels))") }
        if let testFraction, !(testFraction > 0 && testFraction < 1) {
            throw ValidationError("--test-fraction must be between 0 and 1, exclusive (got \(testFraction))")
        }
    }

    /// What was asked for, nil when no data option was given (each command has its own
    /// default: the embedded sample to train on, the model's own data to interpret).
    public var selection: DataSelection? {
        let selection = DataSelection(folder: data, classesFile: classes, testFraction: testFraction, splitSeed: splitSeed,
                                      resize: resize.flatMap(ImageSize.init),
                                      framing: resizeShorter == nil && centerCrop == nil ? nil
                                          : ImageFraming(shorter: resizeShorter, crop: centerCrop.flatMap(ImageSize.init)),
                                      channels: channels,
                                      skipBadImages: skipBadImages ? true : nil)
        return selection == DataSelection() ? nil : selection
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

/// A summary on stdout: its `text`, or with `--json` the value itself as sorted JSON.
protocol PrintableSummary: Encodable {
    var text: String { get }
}

extension PrintableSummary {
    func print(json: Bool) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(self), as: UTF8.self))
        } else {
            Swift.print(text)
        }
    }
}
