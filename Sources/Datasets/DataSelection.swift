import Foundation

/// Which data set a run uses, in a form that can be recorded and handed to another
/// process (a report worker): the folder given with `--data` and the class-names file
/// given with `--classes`, each nil for the default.
public struct DataSelection: Codable, Equatable, Sendable {
    /// nil: the embedded mnist5k sample.
    public var folder: String?
    /// nil: `classes.txt` in the folder, Fashion-MNIST's names, or the digits.
    public var classesFile: String?

    public init(folder: String? = nil, classesFile: String? = nil) {
        self.folder = folder
        self.classesFile = classesFile
    }

    public func load() throws -> Dataset { try Dataset.load(data: folder, classesFile: classesFile) }
}
