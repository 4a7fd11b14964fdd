import ArgumentParser
import Datasets
import Foundation

/// Which data set to use; shared by every command that reads images.
public struct DataOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A folder holding the four MNIST-format IDX files (raw or .gz). Default: the embedded 5,000-digit MNIST sample.",
        valueName: "DIR"))
    public var data: String?

    @Option(name: .long, help: ArgumentHelp(
        "A text file of class names, one per line in label order. Default: classes.txt in the data folder, Fashion-MNIST's names for Fashion-MNIST, else the digits.",
        valueName: "FILE"))
    public var classes: String?

    public init() {}

    public func load() throws -> Dataset {
        try Dataset.load(data: data, classesFile: classes)
    }
}

/// Options about how a command talks to the user.
public struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print no progress on stderr.")
    public var quiet = false

    public init() {}
}
