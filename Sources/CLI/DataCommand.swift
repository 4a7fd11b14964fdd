import ArgumentParser
import Datasets
import Foundation
import Numerics

/// `cnn-inte data`: look at a data set before training on it.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect a data set.",
        subcommands: [Info.self, MakeColour.self],
        defaultSubcommand: Info.self
    )

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Counts, image size, class balance of both splits, source and checksums.")

        @OptionGroup var dataOptions: DataOptions

        @Flag(name: .long, help: "Print JSON instead of text.")
        var json = false

        /// Accepted as on every command; reading a data set prints no progress.
        @OptionGroup var output: OutputOptions

        func run() throws {
            try DataSummary(dataset: try dataOptions.load()).print(json: json)
        }
    }
}

extension DataCommand {
    /// `cnn-inte data make-colour`: a colour image folder made from grey data, to try the
    /// colour paths on (README, "Data").
    struct MakeColour: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "make-colour",
            abstract: "Write a colour image folder (PNG, train/ and test/) made from grey data: ink and background hues drawn per image, independent of the class.")

        @OptionGroup var dataOptions: DataOptions

        @Option(name: .customLong("to"), help: ArgumentHelp("The folder to create (must not exist).", valueName: "DIR"))
        var folder: String

        @Option(parsing: .unconditional, help: "Seed of the colours.") var seed: UInt64 = 1

        @OptionGroup var output: OutputOptions

        func run() throws {
            let dataset = try dataOptions.load()
            try ColourData.writeImageFolder(dataset, to: folder, seed: seed)
            print("wrote \(folder): \((dataset.train.count + dataset.test.count).counted("colour image")) of \(dataset.rows)x\(dataset.columns) from \(dataset.provenance)")
        }
    }
}

/// What `data info` reports, as a value so text and JSON say the same thing.
struct DataSummary: Codable, PrintableSummary {
    struct SplitSummary: Codable {
        var images: Int
        var perClass: [Int]
    }

    struct FileSummary: Codable {
        var name: String
        var bytes: Int
        var sha256: String
        /// Whether the checksum matches SHA256SUMS (nil where there is none to compare).
        var verified: Bool?
    }

    var name: String
    var source: String
    var folder: String
    var format: String
    var rows: Int
    var columns: Int
    var channels: Int
    var classNames: [String]
    var train: SplitSummary
    var test: SplitSummary
    var files: [FileSummary]
    var skipped: [SkippedFile]

    init(dataset: Dataset) {
        name = dataset.name
        folder = dataset.source.folder
        switch dataset.source {
        case .embedded:
            source = "embedded sample of MNIST (LeCun, Cortes & Burges; CC BY-SA 3.0), see SOURCE.md"
        case .folder:
            source = "folder given with --data"
        }
        format = dataset.format
        rows = dataset.rows
        columns = dataset.columns
        channels = dataset.channels
        skipped = dataset.skipped
        classNames = dataset.classNames
        train = SplitSummary(images: dataset.train.count, perClass: dataset.train.classCounts(classes: dataset.classCount))
        test = SplitSummary(images: dataset.test.count, perClass: dataset.test.classCounts(classes: dataset.classCount))
        let published = EmbeddedData.publishedChecksums(in: dataset.source.folder)
        files = dataset.sourceFiles.map { path in
            let bytes = FileManager.default.contents(atPath: path) ?? Data()
            let digest = SHA256.hex(bytes)
            let name = (path as NSString).lastPathComponent
            return FileSummary(name: name, bytes: bytes.count, sha256: digest,
                               verified: published[name].map { $0 == digest })
        }
    }

    var text: String {
        func balance(_ counts: [Int]) -> String {
            zip(classNames, counts).map { "\($0): \($1)" }.joined(separator: ", ")
        }
        var lines = [
            "data set:   \(name)",
            "source:     \(source)",
            "folder:     \(folder)",
            "format:     \(format)",
            "images:     \(rows)x\(columns) \(channels == 1 ? "grey-scale" : "RGB"), \(classNames.count.counted("class", plural: "classes"))",
            "train:      \(train.images.counted("image")) (\(balance(train.perClass)))",
            "test:       \(test.images.counted("image")) (\(balance(test.perClass)))",
        ]
        if !skipped.isEmpty {
            lines.append("skipped:    \(skipped.count.counted("file")) that did not decode (--skip-bad-images):")
            for file in skipped { lines.append("  \(file.problem)") }
        }
        if !files.isEmpty { lines.append("files (SHA-256):") }
        for file in files {
            let check: String
            switch file.verified {
            case .some(true): check = "  matches SHA256SUMS"
            case .some(false): check = "  DOES NOT MATCH SHA256SUMS"
            case .none: check = ""
            }
            lines.append("  \(file.sha256)  \(file.name)  (\(file.bytes) bytes)\(check)")
        }
        return lines.joined(separator: "\n")
    }
}
