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
        public var layerWidth: Int
        public var k1: Int
        public var k2: Int
        public var minClusterSize: Int
        public var prototypes: Int
        public var kmeansRestarts: Int
        public var trees: Int
        public var maxFeatures: Int
        public var maxDepth: Int?
        public var minSamplesLeaf: Int
        public var splits: String
        public var metaTraining: String
        public var boundaryCloseness: Double
        public var augmentCopies: Int
        public var boundaryBlends: Int
        /// Whether the forests were grown on the CNN's soft labels (nil before they could be).
        public var softLabels: Bool? = nil
        public var seed: UInt64
        /// The data set's name and the SHA-256 of its decoded images and labels.
        public var data: String
        public var dataFingerprint: String
        /// Where the model came from.
        public var model: String
        /// SHA-256 of the model's weights file (nil from 0.1.0, or for a labeller with no file).
        public var modelFingerprint: String?
        /// How to load the data again (nil from 0.1.0).
        public var dataSource: DataSelection?
        /// Which network, typed: its kind, file and SHA-256 (nil before 0.5, where `model`
        /// and `model_fingerprint` are all there is).
        public var modelProvenance: ModelProvenance? = nil

        enum CodingKeys: String, CodingKey {
            case layer, layerWidth = "layer_width", k1, k2, minClusterSize = "min_cluster_size", prototypes,
                 kmeansRestarts = "kmeans_restarts", trees, maxFeatures = "max_features", maxDepth = "max_depth",
                 minSamplesLeaf = "min_samples_leaf", splits, metaTraining = "meta_training",
                 boundaryCloseness = "boundary_closeness", augmentCopies = "augment_copies",
                 boundaryBlends = "boundary_blends", softLabels = "soft_labels", seed, data,
                 dataFingerprint = "data_fingerprint", model, modelFingerprint = "model_fingerprint",
                 dataSource = "data_source", modelProvenance = "model_provenance"
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(layer, forKey: .layer)
            try c.encode(layerWidth, forKey: .layerWidth)
            try c.encode(k1, forKey: .k1)
            try c.encode(k2, forKey: .k2)
            try c.encode(minClusterSize, forKey: .minClusterSize)
            try c.encode(prototypes, forKey: .prototypes)
            try c.encode(kmeansRestarts, forKey: .kmeansRestarts)
            try c.encode(trees, forKey: .trees)
            try c.encode(maxFeatures, forKey: .maxFeatures)
            try c.encode(maxDepth, forKey: .maxDepth)  // null when unlimited, as before
            try c.encode(minSamplesLeaf, forKey: .minSamplesLeaf)
            try c.encode(splits, forKey: .splits)
            try c.encode(metaTraining, forKey: .metaTraining)
            try c.encode(boundaryCloseness, forKey: .boundaryCloseness)
            try c.encode(augmentCopies, forKey: .augmentCopies)
            try c.encode(boundaryBlends, forKey: .boundaryBlends)
            try c.encodeIfPresent(softLabels, forKey: .softLabels)
            try c.encode(seed, forKey: .seed)
            try c.encode(data, forKey: .data)
            try c.encode(dataFingerprint, forKey: .dataFingerprint)
            try c.encode(model, forKey: .model)
            try c.encodeIfPresent(modelFingerprint, forKey: .modelFingerprint)
            try c.encodeIfPresent(dataSource, forKey: .dataSource)
            try c.encodeIfPresent(modelProvenance, forKey: .modelProvenance)
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
        case format, globalForest = "global_forest", configuration, classNames = "class_names",
             timingsSeconds = "timings_seconds"
        case credibility, credibilityEce = "credibility_ece", credibilityAuroc = "credibility_auroc",
             selectiveFidelity95 = "selective_fidelity_95", selectiveCoverage95 = "selective_coverage_95",
             selectiveFidelity98 = "selective_fidelity_98", selectiveCoverage98 = "selective_coverage_98",
             credibilityReliability = "credibility_reliability",
             credibilityCoverageCurve = "credibility_coverage_curve",
             credibilityHighCoverage = "credibility_high_coverage",
             credibilityHighFidelity = "credibility_high_fidelity", forestNodes = "forest_nodes"
    }

    // The metrics sit at the top level of the file, beside the other keys.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decodeIfPresent(String.self, forKey: .format)
        metrics = try InterpretationMetrics(from: decoder)
        globalForest = try c.decodeIfPresent(GlobalForest.self, forKey: .globalForest)
        configuration = try c.decode(Configuration.self, forKey: .configuration)
        classNames = try c.decode([String].self, forKey: .classNames)
        timings = try c.decode([String: Double].self, forKey: .timingsSeconds)
        credibility = try c.decodeIfPresent(CredibilityModel.self, forKey: .credibility)
        if let ece = try c.decodeIfPresent(Double.self, forKey: .credibilityEce) {
            credibilityFigures = CredibilityFigures(
                ece: ece, auroc: try c.decodeIfPresent(Double.self, forKey: .credibilityAuroc),
                selectiveFidelity95: try c.decode(Double.self, forKey: .selectiveFidelity95),
                selectiveCoverage95: try c.decode(Double.self, forKey: .selectiveCoverage95),
                selectiveFidelity98: try c.decode(Double.self, forKey: .selectiveFidelity98),
                selectiveCoverage98: try c.decode(Double.self, forKey: .selectiveCoverage98),
                reliability: try c.decode([CredibilityFigures.Bin].self, forKey: .credibilityReliability),
                coverageCurve: try c.decode([CredibilityFigures.CoveragePoint].self, forKey: .credibilityCoverageCurve))
            credibilityFigures?.highCoverage = try c.decodeIfPresent(Double.self, forKey: .credibilityHighCoverage) ?? 0
            credibilityFigures?.highFidelity = try c.decodeIfPresent(Double.self, forKey: .credibilityHighFidelity)
        }
        forestNodes = try c.decodeIfPresent(Int.self, forKey: .forestNodes)
    }

    public func encode(to encoder: Encoder) throws {
        try metrics.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(format, forKey: .format)
        try c.encode(globalForest, forKey: .globalForest)  // null when the comparator did not run
        try c.encode(configuration, forKey: .configuration)
        try c.encode(classNames, forKey: .classNames)
        try c.encode(timings, forKey: .timingsSeconds)
        try c.encodeIfPresent(credibility, forKey: .credibility)
        if let f = credibilityFigures {
            try c.encode(f.ece, forKey: .credibilityEce)
            try c.encode(f.auroc, forKey: .credibilityAuroc)  // null when all agree
            try c.encode(f.selectiveFidelity95, forKey: .selectiveFidelity95)
            try c.encode(f.selectiveCoverage95, forKey: .selectiveCoverage95)
            try c.encode(f.selectiveFidelity98, forKey: .selectiveFidelity98)
            try c.encode(f.selectiveCoverage98, forKey: .selectiveCoverage98)
            try c.encode(f.reliability, forKey: .credibilityReliability)
            try c.encode(f.coverageCurve, forKey: .credibilityCoverageCurve)
            try c.encode(f.highCoverage, forKey: .credibilityHighCoverage)
            try c.encode(f.highFidelity, forKey: .credibilityHighFidelity)
        }
        try c.encodeIfPresent(forestNodes, forKey: .forestNodes)
    }

    /// Adds stages timed outside the interpretation (`run`'s training and report) to the
    /// timings of `folder`'s results.json, rewritten in place; returns the results.
    public static func recordStages(_ stages: [String: Double], in folder: String) throws -> InterpretationResults {
        let path = (folder as NSString).appendingPathComponent(Artifacts.resultsName)
        var results = try load(path: path)
        results.timings.merge(stages) { _, new in new }
        do { try JSONEncoder.pretty.encode(results).write(to: URL(fileURLWithPath: path)) } catch {
            throw FileError(path: path, problem: "cannot be written (\(FileError.reason(error)))")
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
        guard classes >= 2, m.confusionCnnVsTruth.count == classes, m.confusionInteVsCnn.count == classes,
              (m.confusionCnnVsTruth + m.confusionInteVsCnn).allSatisfy({ $0.count == classes }),
              m.fidelityPerClass.count == classes, results.configuration.layerWidth >= 1,
              results.configuration.k1 >= 1, results.configuration.trees >= 1 else {
            throw InterpretationError.badArtifact(path: path, problem: "its figures do not fit its \(classes) classes")
        }
        return results
    }
}
