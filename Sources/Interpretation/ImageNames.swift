import Datasets
import Foundation

/// `images.json`: where every training and test image of an interpretation came from
/// (`ImageOrigin`), so `explain`, the text twin and the report name the picture behind an
/// index without reloading the data. Absent in interpretations written before 0.5: then
/// images are named by their index only.
public struct ImageNames: Codable, Equatable, Sendable {
    public static let fileName = Artifacts.imagesName

    public var train: ImageOrigin
    public var test: ImageOrigin

    public init(train: ImageOrigin, test: ImageOrigin) {
        self.train = train
        self.test = test
    }

    public init(_ dataset: Dataset) { self.init(train: dataset.train.origin, test: dataset.test.origin) }

    /// The test image's name ("test/cat/0003.png"), nil where its index says it all.
    public func test(_ index: Int) -> String? { test.name(of: index) }
    public func train(_ index: Int) -> String? { train.name(of: index) }

    /// Reads and checks `images.json` against the interpretation's image counts.
    static func decode(_ data: Data, path: String, trainCount: Int, testCount: Int) throws -> ImageNames {
        let names: ImageNames
        do { names = try JSONDecoder().decode(ImageNames.self, from: data) } catch {
            throw InterpretationError.badArtifact(path: path, problem: "not an images.json written by cnn-inte")
        }
        guard names.train.count == trainCount, names.test.count == testCount else {
            throw InterpretationError.mismatch(path: path, problem: "names \(names.train.count) training and \(names.test.count) test images; the interpretation has \(trainCount) and \(testCount)")
        }
        return names
    }
}
