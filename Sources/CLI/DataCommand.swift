import ArgumentParser
import Datasets
import Foundation
import Numerics

/// `cnn-inte data`: look at a data set before training on it.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Inspect a data set.",
        subcommands: [Info.self],
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
            let dataset = try dataOptions.load()
            let summary = DataSummary(dataset: dataset)
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(summary), as: UTF8.self))
            } else {
                print(summary.text)
            }
        }
    }
}

/// What `data info` reports, as a value so text and JSON say the same thing.
struct DataSummary: Codable {
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
    var rows: Int
    var columns: Int
    var classNames: [String]
    var train: SplitSummary
    var test: SplitSummary
    var files: [FileSummary]

    init(dataset: Dataset) {
        name = dataset.name
        folder = dataset.source.folder
        switch dataset.source {
        case .embedded:
            source = "embedded sample of MNIST (LeCun, Cortes & Burges; CC BY-SA 3.0), see SOURCE.md"
        case .folder:
            source = "folder given with --data"
        }
        rows = dataset.rows
        columns = dataset.columns
        classNames = dataset.classNames
        train = SplitSummary(images: dataset.train.count, perClass: dataset.train.classCounts(classes: dataset.classCount))
        test = SplitSummary(images: dataset.test.count, perClass: dataset.test.classCounts(classes: dataset.classCount))
        let published = EmbeddedData.publishedChecksums(in: dataset.source.folder)
        files = [dataset.train.imagesFile, dataset.train.labelsFile, dataset.test.imagesFile, dataset.test.labelsFile].map { path in
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
            "images:     \(rows)x\(columns) grey-scale, \(classNames.count.counted("class", plural: "classes"))",
            "train:      \(train.images.counted("image")) (\(balance(train.perClass)))",
            "test:       \(test.images.counted("image")) (\(balance(test.perClass)))",
            "files (SHA-256):",
        ]
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
