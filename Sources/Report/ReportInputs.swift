import Datasets
import Foundation
import Interpretation

/// What the report draws from: the saved interpretation and the images it was made on.
public struct ReportInputs: Sendable {
    public let saved: SavedInterpretation
    public let dataset: Dataset

    /// Checks that the interpretation was made on this data set, so no diagram shows the
    /// wrong digit.
    public init(saved: SavedInterpretation, dataset: Dataset, interpretationFolder: String) throws {
        let path = (interpretationFolder as NSString).appendingPathComponent(Artifacts.resultsName)
        if !saved.dataFingerprint.isEmpty, saved.dataFingerprint != dataset.fingerprint {
            throw InterpretationError.mismatch(path: path, problem: "was made on other data ('\(saved.dataName)'), not on '\(dataset.name)'; pass the same --data as to 'interpret'")
        }
        guard saved.records.count == dataset.test.count, saved.classNames.count == dataset.classCount else {
            throw InterpretationError.mismatch(path: path, problem: "has \(saved.records.count) test instances and \(saved.classNames.count) classes; the data has \(dataset.test.count) and \(dataset.classCount)")
        }
        let trainCount = dataset.train.count
        for node in saved.level1 + saved.level2.flatMap({ $0 }) where node.prototypes.contains(where: { $0 < 0 || $0 >= trainCount }) {
            throw InterpretationError.mismatch(path: path, problem: "cluster \(node.id) names a prototype outside the \(trainCount) training images")
        }
        if saved.neighbours.contains(where: { $0.contains { $0.trainIndex >= trainCount } }) {
            throw InterpretationError.mismatch(path: path, problem: "names a nearest training image outside the \(trainCount) training images")
        }
        self.saved = saved
        self.dataset = dataset
    }

    public var classNames: [String] { saved.classNames }

    /// The test image of instance `i` and training image `t`.
    public func testImage(_ i: Int) -> ArraySlice<UInt8> {
        dataset.test.images.image(i)
    }

    public func trainImage(_ t: Int) -> ArraySlice<UInt8> {
        dataset.train.images.image(t)
    }

    /// The class whose booklet holds instance `i`.
    public func bookletClass(of r: InstanceRecord, by grouping: BookletGrouping) -> Int {
        grouping == .inte ? r.intePrediction : r.label
    }

    /// The diagram input of instance `i`, its images named through `images`.
    public func diagramInput(_ i: Int, images: ImageStore) throws -> InstanceDiagram.Input {
        let r = saved.records[i]
        let c1 = saved.level1[r.route.level1]
        let c2 = saved.level2[r.route.level1][r.route.level2]
        func prototypes(_ node: ClusterNode) throws -> [String] {
            try node.prototypes.prefix(InstanceDiagram.prototypesShown).map {
                try images.image(trainImage($0), rows: dataset.rows, columns: dataset.columns, channels: dataset.channels)
            }
        }
        var input = InstanceDiagram.Input(
            record: r, classNames: classNames, layer: saved.layer, layerWidth: saved.layerWidth, level1: c1, level2: c2,
            runnerUp: r.route.runnerUp.map { saved.level1[$0] }, learner: saved.learners[r.route.level1],
            inputImage: try images.image(testImage(i), rows: dataset.rows, columns: dataset.columns, channels: dataset.channels),
            level1Prototypes: try prototypes(c1), level2Prototypes: try prototypes(c2))
        input.softVotes = saved.softLabels
        input.inputFile = saved.images?.test(i)
        if saved.units.contains(where: { $0.cluster == r.route.level1 && !$0.units.isEmpty }) {
            input.forestLink = "../" + ReportLayout.clusterPage(c1.id) + "#forest"
        }
        return input
    }
}

/// Which class's booklet an instance goes in: the one CNN-INTE predicted, or its truth.
public enum BookletGrouping: String, CaseIterable, Sendable {
    case inte
    case `true`
}
