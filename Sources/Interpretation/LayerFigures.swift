import Foundation

/// One layer's line in `layers.json`, the comparison `interpret --layers` writes: how well
/// CNN-INTE explains the network at that layer, with the same settings at every layer.
public struct LayerFigures: Codable, Equatable, Sendable {
    public static let fileName = Artifacts.layersName

    public var layer: String
    public var width: Int
    public var fidelity: Double
    public var cnnAccuracy: Double
    public var inteAccuracy: Double
    /// CNN accuracy minus CNN-INTE accuracy, in points.
    public var accuracyGapPoints: Double
    public var purityLevel1Test: Double
    public var purityLevel2Test: Double
    public var forestNodes: Int?
    /// Share of test instances whose explanation's credibility is high (>= 0.95), and the
    /// fidelity among them.
    public var credibilityHighCoverage: Double?
    public var credibilityHighFidelity: Double?
    public var credibilityAuroc: Double?
    /// Seconds the layer's interpretation took, stage by stage summed.
    public var seconds: Double

    /// JSON keys as the files have always had them.
    enum CodingKeys: String, CodingKey {
        case layer, width, fidelity, cnnAccuracy = "cnn_accuracy", inteAccuracy = "inte_accuracy",
             accuracyGapPoints = "accuracy_gap_points", purityLevel1Test = "purity_level1_test",
             purityLevel2Test = "purity_level2_test", forestNodes = "forest_nodes",
             credibilityHighCoverage = "credibility_high_coverage",
             credibilityHighFidelity = "credibility_high_fidelity", credibilityAuroc = "credibility_auroc", seconds
    }

    public init(_ results: InterpretationResults) {
        let m = results.metrics
        layer = results.configuration.layer
        width = results.configuration.layerWidth
        fidelity = m.fidelity
        cnnAccuracy = m.cnnTestAccuracy
        inteAccuracy = m.inteTestAccuracy
        accuracyGapPoints = 100 * (m.cnnTestAccuracy - m.inteTestAccuracy)
        purityLevel1Test = m.purityLevel1Test
        purityLevel2Test = m.purityLevel2Test
        forestNodes = results.forestNodes
        credibilityHighCoverage = results.credibilityFigures?.highCoverage
        credibilityHighFidelity = results.credibilityFigures?.highFidelity
        credibilityAuroc = results.credibilityFigures?.auroc
        seconds = Self.interpretingSeconds(results.timings)
    }

    /// The seconds of interpreting a layer, from results.json's timings: every stage's
    /// seconds, but not the comparator's (not part of interpreting a layer; the compared
    /// layers skip it) nor the rates beside them (`activations_images_per_s` is images a
    /// second: summed, it made a 7-second layer take 7,700).
    static func interpretingSeconds(_ timings: [String: Double]) -> Double {
        timings.filter { $0.key != "global_forest_seconds" && !$0.key.hasSuffix("_per_s") }.values.reduce(0, +)
    }

    /// Reads `layers.json`.
    public static func decode(_ data: Data, path: String) throws -> [LayerFigures] {
        do { return try JSONDecoder().decode([LayerFigures].self, from: data) } catch {
            throw InterpretationError.badArtifact(path: path, problem: "not a layers.json written by cnn-inte")
        }
    }
}
