import Datasets
import Foundation
import Numerics

/// `model.json`: everything about a trained model except its weights.
public struct ModelDescription: Codable, Equatable, Sendable {
    public struct DataInfo: Codable, Equatable, Sendable {
        public var name: String
        public var folder: String
        public var fingerprint: String
        public var trainImages: Int
        public var testImages: Int
        public var classNames: [String]
        /// How to load the data again: the `--data` folder (nil: embedded) and `--classes`
        /// file. Absent from 0.1.0's files (see `TrainedModel.trainingData`).
        public var selection: DataSelection?
    }

    public struct Metrics: Codable, Equatable, Sendable {
        public var testAccuracy: Double
        public var testLoss: Double?
        public var confusion: [[Int]]
        public var history: [EpochRecord]

        /// JSON keys as the files have always had them.
        enum CodingKeys: String, CodingKey {
            case testAccuracy = "test_accuracy", testLoss = "test_loss", confusion, history
        }
    }

    public var format = ModelStore.formatTag
    public var graph: Graph
    /// The graph in `--architecture`'s compact form.
    public var architectureCompact: String
    public var parameters: Int
    public var training: TrainingConfiguration
    public var seed: UInt64
    public var data: DataInfo
    public var metrics: Metrics
    public var trainingSeconds: Double
    public var peakResidentMiB: Double
    /// What computed it: "oneDNN 2.6.3 avx512_core" (0.1.0 recorded OpenBLAS's kernels).
    public var engine: String
    /// SHA-256 of model.safetensors, so the two files are known to belong together, and
    /// what an interpretation records of the model it explains. Absent from 0.1.0's files.
    public var weightsSHA256: String?

    public init(graph: Graph, parameters: Int, training: TrainingConfiguration, seed: UInt64, data: DataInfo, metrics: Metrics,
                trainingSeconds: Double, peakResidentMiB: Double, engine: String) {
        self.graph = graph
        architectureCompact = LayerList.compact(graph)
        self.parameters = parameters
        self.training = training
        self.seed = seed
        self.data = data
        self.metrics = metrics
        self.trainingSeconds = trainingSeconds
        self.peakResidentMiB = peakResidentMiB
        self.engine = engine
    }

    enum CodingKeys: String, CodingKey {
        case format, graph, architectureCompact, parameters, training, seed, data, metrics, trainingSeconds, peakResidentMiB, engine,
             weightsSHA256
        // cnn-inte 0.1.0
        case architecture, blasCore
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        format = try c.decode(String.self, forKey: .format)
        if let graph = try c.decodeIfPresent(Graph.self, forKey: .graph) {
            self.graph = graph
        } else {
            graph = try c.decode(LegacyArchitecture.self, forKey: .architecture).graph()
        }
        architectureCompact = try c.decode(String.self, forKey: .architectureCompact)
        parameters = try c.decode(Int.self, forKey: .parameters)
        training = try c.decode(TrainingConfiguration.self, forKey: .training)
        seed = try c.decode(UInt64.self, forKey: .seed)
        data = try c.decode(DataInfo.self, forKey: .data)
        metrics = try c.decode(Metrics.self, forKey: .metrics)
        trainingSeconds = try c.decode(Double.self, forKey: .trainingSeconds)
        peakResidentMiB = try c.decode(Double.self, forKey: .peakResidentMiB)
        engine = try c.decodeIfPresent(String.self, forKey: .engine) ?? "OpenBLAS " + (c.decodeIfPresent(String.self, forKey: .blasCore) ?? "")
        weightsSHA256 = try c.decodeIfPresent(String.self, forKey: .weightsSHA256)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        try c.encode(graph, forKey: .graph)
        try c.encode(architectureCompact, forKey: .architectureCompact)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(training, forKey: .training)
        try c.encode(seed, forKey: .seed)
        try c.encode(data, forKey: .data)
        try c.encode(metrics, forKey: .metrics)
        try c.encode(trainingSeconds, forKey: .trainingSeconds)
        try c.encode(peakResidentMiB, forKey: .peakResidentMiB)
        try c.encode(engine, forKey: .engine)
        try c.encodeIfPresent(weightsSHA256, forKey: .weightsSHA256)
    }

    public static func load(folder: String) throws -> ModelDescription {
        let path = (folder as NSString).appendingPathComponent(ModelStore.descriptionName)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ModelStore.LoadError(path: path, problem: "no model description here; run 'cnn-inte train' first")
        }
        do {
            return try JSONDecoder().decode(ModelDescription.self, from: data)
        } catch {
            throw ModelStore.LoadError(path: path, problem: "not a cnn-inte model description (\(error))")
        }
    }
}
