import Foundation

/// One layer's line in `layers.json`, the comparison `interpret --layers` writes: how well
/// CNN-INTE explains the network at that layer, with the same settings at every layer.
public struct LayerFigures: Codable, Equatable, Sendable {
    public static let fileName = "layers.json"

    public var layer: String
    public var width: Int
    public var fidelity: Double
    public var cnn_accuracy: Double
    public var inte_accuracy: Double
    /// CNN accuracy minus CNN-INTE accuracy, in points.
    public var accuracy_gap_points: Double
    public var purity_level1_test: Double
    public var purity_level2_test: Double
    public var forest_nodes: Int?
    /// Share of test instances whose explanation's credibility is high (>= 0.95), and the
    /// fidelity among them.
    public var credibility_high_coverage: Double?
    public var credibility_high_fidelity: Double?
    public var credibility_auroc: Double?
    /// Seconds the layer's interpretation took, stage by stage summed.
    public var seconds: Double

    public init(_ results: InterpretationResults) {
        let m = results.metrics
        layer = results.configuration.layer
        width = results.configuration.layer_width
        fidelity = m.fidelity
        cnn_accuracy = m.cnn_test_accuracy
        inte_accuracy = m.inte_test_accuracy
        accuracy_gap_points = 100 * (m.cnn_test_accuracy - m.inte_test_accuracy)
        purity_level1_test = m.purity_level1_test
        purity_level2_test = m.purity_level2_test
        forest_nodes = results.forestNodes
        credibility_high_coverage = results.credibilityFigures?.high_coverage
        credibility_high_fidelity = results.credibilityFigures?.high_fidelity
        credibility_auroc = results.credibilityFigures?.auroc
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
