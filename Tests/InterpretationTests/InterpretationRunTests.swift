import Datasets
import Foundation
import Numerics
import TestSupport
import XCTest
@testable import Interpretation

/// The interpretation stage through its library entry point, with a labeller that is not
/// a CNN: the stage must not care what labels the images.
final class InterpretationRunTests: XCTestCase {
    var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "cnn-inte-interpretation-run-" + UUID().uuidString
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

    static var configuration: InterpretationConfiguration {
        var c = InterpretationConfiguration()
        c.layer = "quadrants"
        c.k1 = 3
        c.k2 = 2
        c.trees = 5
        c.augmentCopies = 1
        c.seed = 4
        return c
    }

    func testWritesArtifactsThatLoadBackWithTheirLearners() throws {
        let dataset = ToyData.dataset()
        let results = try InterpretationRun.run(dataset: dataset, labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "quadrant sums"),
                                                configuration: Self.configuration, into: folder)
        XCTAssertEqual(results.format, InterpretationResults.formatTag)
        XCTAssertEqual(results.configuration.model, "quadrant sums")
        XCTAssertEqual(results.configuration.modelProvenance, ModelProvenance(kind: .labeller, file: nil, sha256: nil, description: "quadrant sums"))
        XCTAssertEqual(results.configuration.augmentCopies, 1)
        XCTAssertEqual(results.configuration.maxFeatures, 2, "sqrt of 4 features")
        XCTAssertEqual(results.metrics.nTest, 24)
        let saved = try SavedInterpretation.load(folder: folder)
        XCTAssertEqual(saved.results, results)
        XCTAssertEqual(saved.records.count, 24)
        XCTAssertEqual(saved.records.map(\.index), Array(0..<24))
        // The learners the report shows are the ones that were fitted.
        let stored = try InterpretationStore.decode([UInt8](Data(contentsOf: URL(fileURLWithPath: folder + "/interpretation.safetensors"))),
                                                    path: "x")
        XCTAssertEqual(saved.learners, stored.model.meta.learners.map(\.summary))
        XCTAssertEqual(saved.text(for: 0).split(separator: "\n").count, 9)
        // The 5 nearest training images of each test instance, in the text too.
        XCTAssertEqual(saved.neighbours.count, 24)
        XCTAssertTrue(saved.neighbours.allSatisfy { $0.count == 5 })
        XCTAssertTrue(saved.text(for: 0).contains("  nearest training images in \(saved.layer): #"), saved.text(for: 0))
        // Every instance has a credibility, the figures are in results.json and the text.
        XCTAssertTrue(saved.records.allSatisfy { ($0.credibility ?? -1) >= 0 && $0.credibility! <= 1 })
        let figures = try XCTUnwrap(results.credibilityFigures)
        XCTAssertEqual(figures.reliability.reduce(0) { $0 + $1.count }, 24)
        XCTAssertEqual(try XCTUnwrap(results.credibility).calibrationSize, ToyData.dataset().train.count)
        XCTAssertTrue(saved.text(for: 0).contains("  credibility: "), saved.text(for: 0))
    }

    /// Every registered analysis the configuration wants is written, timed, read back equal
    /// to what a second reading gives, and refused by name when its file is damaged; one
    /// the configuration does not want is neither written nor timed.
    func testRegisteredAnalysesRoundTripAndAreCheckedWhenRead() throws {
        var configuration = Self.configuration
        configuration.map = false
        let results = try InterpretationRun.run(dataset: ToyData.dataset(), labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                                configuration: configuration, into: folder)
        XCTAssertEqual(Set(Analyses.registered.map { $0.fileName }).count, Analyses.registered.count, "one file each")
        // Every file the run wrote is one Artifacts names, each name once.
        XCTAssertEqual(Set(Artifacts.all).count, Artifacts.all.count)
        XCTAssertTrue(Set(try FileManager.default.contentsOfDirectory(atPath: folder)).isSubset(of: Artifacts.all))
        XCTAssertEqual(Set(Analyses.registered.map { $0.timingKey }).count, Analyses.registered.count, "one timing key each")
        let saved = try SavedInterpretation.load(folder: folder)
        for analysis in Analyses.registered {
            let path = folder + "/" + analysis.fileName
            let wanted = analysis.isWanted(by: configuration)
            XCTAssertEqual(FileManager.default.fileExists(atPath: path), wanted, analysis.fileName)
            // Those run after the results are written are not among their timings.
            XCTAssertEqual(results.timings[analysis.timingKey] != nil, wanted && analysis.phase == .beforeResults, analysis.fileName)
            XCTAssertEqual(saved.analyses[analysis.fileName] != nil, wanted, analysis.fileName)
        }
        // The decision stages (the credibility) always run, and are timed.
        for stage in Analyses.decisionStages { XCTAssertNotNil(results.timings[stage.timingKey], stage.timingKey) }
        XCTAssertNil(saved.map)
        XCTAssertEqual(saved.neighbours.count, 24)
        XCTAssertEqual(saved.units.count, saved.level1.count)
        for name in [NearestTrainingImages.fileName, UnitCards.fileName, ClassSummary.fileName] {
            let original = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            try Data("not what it should be\n".utf8).write(to: URL(fileURLWithPath: folder + "/" + name))
            XCTAssertThrowsError(try SavedInterpretation.load(folder: folder), name) { XCTAssertTrue("\($0)".contains(name), "\($0)") }
            try original.write(to: URL(fileURLWithPath: folder + "/" + name))
        }
    }

    func testSameConfigurationSameArtifacts() throws {
        for name in ["a", "b"] {
            try InterpretationRun.run(dataset: ToyData.dataset(), labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                      configuration: Self.configuration, into: folder + "/" + name)
        }
        for file in ["instances.csv", "clusters.json", "interpretation.safetensors"] {
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/a/" + file)),
                           try Data(contentsOf: URL(fileURLWithPath: folder + "/b/" + file)), file)
        }
    }

    func testUnknownLayerAndClassCountAreUsageErrorsAndWriteNothing() {
        var c = Self.configuration
        c.layer = "fc1"
        XCTAssertThrowsError(try InterpretationRun.run(dataset: ToyData.dataset(), labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                                       configuration: c, into: folder)) {
            XCTAssertEqual($0 as? UsageError, UsageError("--layer: unknown layer 'fc1'; the model has quadrants"))
        }
        var dataset = ToyData.dataset()
        dataset = Dataset(name: dataset.name, source: dataset.source, train: dataset.train, test: dataset.test,
                          classNames: ToyData.classNames + ["centre"])
        XCTAssertThrowsError(try InterpretationRun.run(dataset: dataset, labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                                       configuration: Self.configuration, into: folder)) {
            XCTAssertEqual($0 as? UsageError, UsageError("the model predicts 4 classes but the data has 5"))
        }
        c = Self.configuration
        c.trees = 0
        XCTAssertThrowsError(try InterpretationRun.run(dataset: ToyData.dataset(), labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                                       configuration: c, into: folder)) {
            XCTAssertEqual($0 as? UsageError, UsageError("--trees must be at least 1 (got 0)"))
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder), "checked before anything is written")
    }

    /// An interpretation folder as cnn-inte 0.1.0 wrote it (see Fixtures/README.md): no
    /// learners in clusters.json, no format in results.json. It loads, and its learners
    /// come from the interpretation file: cluster 0 a 3-tree forest, 1 and 2 constants.
    func testFolderWrittenBy010StillLoads() throws {
        let v1 = try XCTUnwrap(Bundle.module.path(forResource: "interpretation-v1", ofType: nil, inDirectory: "Fixtures"))
        let saved = try SavedInterpretation.load(folder: v1)
        XCTAssertNil(saved.results.format)
        XCTAssertEqual(saved.learners.count, 3)
        XCTAssertEqual(saved.learners[0], .forest(trees: 3))
        for c in 1...2 {
            guard case let .constant(k) = saved.learners[c] else { return XCTFail("cluster \(c): \(saved.learners[c])") }
            // A constant learner gives all its votes to its class.
            for r in saved.records where r.route.level1 == c { XCTAssertEqual(r.votes[k], 1) }
        }
        let constant = try XCTUnwrap(saved.records.first { $0.route.level1 == 1 })
        XCTAssertTrue(saved.text(for: constant.index).contains("-> constant learner of cluster 1: votes"), saved.text(for: constant.index))
        let forest = try XCTUnwrap(saved.records.first { $0.route.level1 == 0 })
        XCTAssertTrue(saved.text(for: forest.index).contains("-> random forest of cluster 0 (3 trees): votes"))
    }

    func testResultsOfAnUnknownFormatAreRefusedNamingIt() throws {
        try InterpretationRun.run(dataset: ToyData.dataset(), labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"),
                                  configuration: Self.configuration, into: folder)
        let path = folder + "/results.json"
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "cnn-inte-results-2", with: "cnn-inte-results-9")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SavedInterpretation.load(folder: folder)) {
            XCTAssertTrue("\($0)".contains("format 'cnn-inte-results-9' is not one this cnn-inte \(Release.version) reads"), "\($0)")
        }
    }
}
