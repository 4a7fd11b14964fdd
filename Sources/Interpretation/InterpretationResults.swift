import Datasets
import Foundation
import Numerics

/// `results.json`: every figure of an interpretation, the configuration it ran with, the
/// data and model it was made from, and the stages' timings. One typed definition serves
/// the writer (`InterpretationRun`) and the readers (`explain`, `report`).
///
/// Without the timings it is a pure function of data, model and configuration. Files
/// written before `format` existed (cnn-inte 0.1.0) have every other field and still load.
public struct InterpretationResults: Codable, Equatable, Sendable {
    public static let formatTag = "cnn-inte-results-2"

    /// The configuration as it ran: the options, with the values they resolved to
    /// (`max_features` from the layer's width, `augment_copies` after the pool cap).
    public struct Configuration: Codable, Equatable, Sendable {
        public var layer: String
        public var layer_width: Int
        public var k1: Int
        public var k2: Int
        public var min_cluster_size: Int
        public var prototypes: Int
        public var kmeans_restarts: Int
        public var trees: Int
        public var max_features: Int
        public var max_depth: Int?
        public var min_samples_leaf: Int
        public var splits: String
        public var meta_training: String
        public var boundary_closeness: Double
        public var augment_copies: Int
        public var boundary_blends: Int
        /// Whether the forests were grown on the CNN's soft labels (nil before they could be).
        public var soft_labels: Bool? = nil
        public var seed: UInt64
        /// The data set's name and the SHA-256 of its decoded images and labels.
        public var data: String
        public var data_fingerprint: String
        /// Where the model came from.
        public var model: String
        /// SHA-256 of the model's weights file (nil from 0.1.0, or for a labeller with no file).
        public var model_fingerprint: String?
        /// How to load the data again (nil from 0.1.0).
        public var data_source: DataSelection?
        /// Which network, typed: its kind, file and SHA-256 (nil before 0.5, where `model`
        /// and `model_fingerprint` are all there is).
        public var model_provenance: ModelProvenance? = nil

        enum CodingKeys: String, CodingKey {
            case layer, layer_width, k1, k2, min_cluster_size, prototypes, kmeans_restarts, trees, max_features, max_depth,
                 min_samples_leaf, splits, meta_training, boundary_closeness, augment_copies, boundary_blends, soft_labels, seed, data,
                 data_fingerprint, model, model_fingerprint, data_source, model_provenance
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(layer, forKey: .layer)
            try c.encode(layer_width, forKey: .layer_width)
            try c.encode(k1, forKey: .k1)
            try c.encode(k2, forKey: .k2)
            try c.encode(min_cluster_size, forKey: .min_cluster_size)
            try c.encode(prototypes, forKey: .prototypes)
            try c.encode(kmeans_restarts, forKey: .kmeans_restarts)
            try c.encode(trees, forKey: .trees)
            try c.encode(max_features, forKey: .max_features)
            try c.encode(max_depth, forKey: .max_depth)  // null when unlimited, as before
            try c.encode(min_samples_leaf, forKey: .min_samples_leaf)
            try c.encode(splits, forKey: .splits)
            try c.encode(meta_training, forKey: .meta_training)
            try c.encode(boundary_closeness, forKey: .boundary_closeness)
            try c.encode(augment_copies, forKey: .augment_copies)
            try c.encode(boundary_blends, forKey: .boundary_blends)
            try c.encodeIfPresent(soft_labels, forKey: .soft_labels)
            try c.encode(seed, forKey: .seed)
            try c.encode(data, forKey: .data)
            try c.encode(data_fingerprint, forKey: .data_fingerprint)
            try c.encode(model, forKey: .model)
            try c.encodeIfPresent(model_fingerprint, forKey: .model_fingerprint)
            try c.encodeIfPresent(data_source, forKey: .data_source)
            try c.encodeIfPresent(model_provenance, forKey: .model_provenance)
        }
    }

    /// The comparator: one forest on all training activations.
    public struct GlobalForest: Codable, Equatable, Sendable {
        public var fidelity: Double
        public var accuracy: Double
    }

    /// nil in files written by cnn-inte 0.1.0.
    public var format: String?
    public var metrics: InterpretationMetrics
    public var globalForest: GlobalForest?
    public var configuration: Configuration
    public var classNames: [String]
    /// Seconds per stage: `clustering`, `pool_and_binning`, `forests`, `decisions`, and
    /// `global_forest_seconds` when the comparator ran.
    public var timings: [String: Double]
    /// The credibility model and how it did on the test set (nil in files written before credibilities existed).
    public var credibility: CredibilityModel?
    public var credibilityFigures: CredibilityFigures?
    /// Nodes in all the level-1 forests' trees: how large the explanation's learners are
    /// (nil before it was recorded).
    public var forestNodes: Int?

    public init(metrics: InterpretationMetrics, globalForest: GlobalForest?, configuration: Configuration,
                classNames: [String], timings: [String: Double], credibility: CredibilityModel? = nil,
                credibilityFigures: CredibilityFigures? = nil) {
        self.credibility = credibility
        self.credibilityFigures = credibilityFigures
        self.format = Self.formatTag
        self.metrics = metrics
        self.globalForest = globalForest
        self.configuration = configuration
        self.classNames = classNames
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case format, global_forest, configuration, class_names, timings_seconds
        case credibility, credibility_ece, credibility_auroc, selective_fidelity_95, selective_coverage_95,
             selective_fidelity_98, selective_coverage_98, credibility_reliability, credibility_coverage_curve,
             credibility_high_coverage, credibility_high_fidelity, forest_nodes
    }

    // The metrics sit at the top level of the file, beside the other keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(String.self, forKey: .format)
        metrics = try InterpretationMetrics(from: decoder)
        globalForest = try c.decodeIfPresent(GlobalForest.self, forKey: .global_forest)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        classNames = try c.decode([String].self, forKey: .class_names)
        timings = try c.decode([String: Double].self, forKey: .timings_seconds)
        credibility = try c.decodeIfPresent(CredibilityModel.self, forKey: .credibility)
        if let ece = try c.decodeIfPresent(Double.self, forKey: .credibility_ece) {
            credibilityFigures = CredibilityFigures(
                ece: ece, auroc: try c.decodeIfPresent(Double.self, forKey: .credibility_auroc),
                selective_fidelity_95: try c.decode(Double.self, forKey: .selective_fidelity_95),
                selective_coverage_95: try c.decode(Double.self, forKey: .selective_coverage_95),
                selective_fidelity_98: try c.decode(Double.self, forKey: .selective_fidelity_98),
                selective_coverage_98: try c.decode(Double.self, forKey: .selective_coverage_98),
                reliability: try c.decode([CredibilityFigures.Bin].self, forKey: .credibility_reliability),
                coverage_curve: try c.decode([CredibilityFigures.CoveragePoint].self, forKey: .credibility_coverage_curve))
            credibilityFigures?.high_coverage = try c.decodeIfPresent(Double.self, forKey: .credibility_high_coverage) ?? 0
            credibilityFigures?.high_fidelity = try c.decodeIfPresent(Double.self, forKey: .credibility_high_fidelity)
        }
        forestNodes = try c.decodeIfPresent(Int.self, forKey: .forest_nodes)
    }

    public func encode(to encoder: Encoder) throws {
        try metrics.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(format, forKey: .format)
        try c.encode(globalForest, forKey: .global_forest)  // null when the comparator did not run
        try c.encode(configuration, forKey: .configuration)
        try c.encode(classNames, forKey: .class_names)
        try c.encode(timings, forKey: .timings_seconds)
        try c.encodeIfPresent(credibility, forKey: .credibility)
        if let f = credibilityFigures {
            try c.encode(f.ece, forKey: .credibility_ece)
            try c.encode(f.auroc, forKey: .credibility_auroc)  // null when all agree
            try c.encode(f.selective_fidelity_95, forKey: .selective_fidelity_95)
            try c.encode(f.selective_coverage_95, forKey: .selective_coverage_95)
            try c.encode(f.selective_fidelity_98, forKey: .selective_fidelity_98)
            try c.encode(f.selective_coverage_98, forKey: .selective_coverage_98)
            try c.encode(f.reliability, forKey: .credibility_reliability)
            try c.encode(f.coverage_curve, forKey: .credibility_coverage_curve)
            try c.encode(f.high_coverage, forKey: .credibility_high_coverage)
            try c.encode(f.high_fidelity, forKey: .credibility_high_fidelity)
        }
        try c.encodeIfPresent(forestNodes, forKey: .forest_nodes)
    }

    /// Adds stages timed outside the interpretation (`run`'s training and report) to the
    /// timings of `folder`'s results.json, rewritten in place; returns the results.
    public static func recordStages(_ stages: [String: Double], in folder: String) throws -> InterpretationResults {
        let path = (folder as NSString).appendingPathComponent(Artifacts.resultsName)
        var results = try load(path: path)
        results.timings.merge(stages) { _, new in new }
        do { try JSONEncoder.pretty.encode(results).write(to: URL(fileURLWithPath: path)) } catch {
            throw StagedFolder.OutputError(path: path, problem: "cannot be written (\(StagedFolder.reason(error)))")
        }
        return results
    }

    /// Reads and checks `path`: the known format, and class counts that agree.
    public static func load(path: String) throws -> InterpretationResults {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InterpretationError.badArtifact(path: path, problem: "missing; run 'cnn-inte interpret' first")
        }
        let results: InterpretationResults
        do { results = try JSONDecoder().decode(InterpretationResults.self, from: data) } catch {
            throw InterpretationError.badArtifact(path: path, problem: "not a results.json written by cnn-inte")
        }
        if let format = results.format, format != formatTag {
            throw InterpretationError.badArtifact(path: path, problem: "format '\(format)' is not one this cnn-inte \(Release.version) reads (\(formatTag)); run 'cnn-inte interpret' again")
        }
        let classes = results.classNames.count
        let m = results.metrics
        guard classes >= 2, m.confusion_cnn_vs_truth.count == classes, m.confusion_inte_vs_cnn.count == classes,
              (m.confusion_cnn_vs_truth + m.confusion_inte_vs_cnn).allSatisfy({ $0.count == classes }),
              m.fidelity_per_class.count == classes, results.configuration.layer_width >= 1,
              results.configuration.k1 >= 1, results.configuration.trees >= 1 else {
            throw InterpretationError.badArtifact(path: path, problem: "its figures do not fit its \(classes) classes")
        }
        return results
    }
}
