import Foundation
import Numerics

/// The meta-level test record of one test instance, and CNN-INTE's decision for it.
public struct InstanceRecord: Codable, Equatable, Sendable {
    public var index: Int
    public var label: Int
    public var cnnPrediction: Int
    public var cnnProbability: Double
    public var route: Route
    /// Vote share of each class among the trees of the level-1 cluster's forest.
    public var votes: [Double]
    public var intePrediction: Int
    /// The estimated probability that CNN-INTE agrees with the CNN here (`CredibilityModel`);
    /// nil in interpretations made before credibilities existed.
    public var credibility: Double?
    public var agrees: Bool { intePrediction == cnnPrediction }

    public init(index: Int, label: Int, cnnPrediction: Int, cnnProbability: Double, route: Route, votes: [Double],
                intePrediction: Int, credibility: Double? = nil) {
        self.credibility = credibility
        self.index = index
        self.label = label
        self.cnnPrediction = cnnPrediction
        self.cnnProbability = cnnProbability
        self.route = route
        self.votes = votes
        self.intePrediction = intePrediction
    }
}

/// Everything the interpretation stage fits.
public struct InterpretationModel: Codable, Equatable, Sendable {
    public var tree: ClusterTree
    public var binner: Binner
    public var meta: MetaLearner

    public init(tree: ClusterTree, binner: Binner, meta: MetaLearner) {
        (self.tree, self.binner, self.meta) = (tree, binner, meta)
    }
}

/// CNN-INTE end to end on features: cluster, fit the forests, route and decide the test set.
public enum Interpreter {
    public struct Inputs {
        public var trainFeatures: Matrix
        public var trainPredictions: [Int]
        public var trainLabels: [Int]
        public var testFeatures: Matrix
        public var testPredictions: [Int]
        public var testProbabilities: [Double]
        public var testLabels: [Int]
        public var classes: Int
        /// The CNN's soft labels of the training images; needed when the forests are grown on
        /// soft labels (`MetaConfiguration.softLabels`).
        public var trainSoft: SoftLabels?

        public init(trainFeatures: Matrix, trainPredictions: [Int], trainLabels: [Int], testFeatures: Matrix,
                    testPredictions: [Int], testProbabilities: [Double], testLabels: [Int], classes: Int) {
            self.trainFeatures = trainFeatures
            self.trainPredictions = trainPredictions
            self.trainLabels = trainLabels
            self.testFeatures = testFeatures
            self.testPredictions = testPredictions
            self.testProbabilities = testProbabilities
            self.testLabels = testLabels
            self.classes = classes
        }
    }

    public struct Timings: Codable, Equatable, Sendable {
        public var clusteringSeconds = 0.0
        public var binningSeconds = 0.0
        public var forestSeconds = 0.0
        public var predictSeconds = 0.0

        public init() {}
    }

    /// The comparator of docs/METHOD.md, section 5: one forest on all training activations,
    /// labelled by the CNN, deciding every test instance alone.
    public static func globalForest(_ inputs: Inputs, forest: RandomForest.Configuration) throws -> InterpretationResults.GlobalForest {
        let binner = Binner.fit(inputs.trainFeatures, seed: forest.seed)
        let binned = binner.transform(inputs.trainFeatures)
        let fitted = try RandomForest.fit(data: binned, binner: binner, labels: inputs.trainPredictions.map { UInt8($0) },
                                          rows: (0..<inputs.trainFeatures.rows).map(Int32.init), classes: inputs.classes,
                                          configuration: forest,
                                          values: forest.tree.exactSplits ? inputs.trainFeatures.columnMajorValues() : nil)
        let predicted = fitted.predict(inputs.testFeatures)
        let agree = zip(predicted, inputs.testPredictions).filter { $0 == $1 }.count
        let right = zip(predicted, inputs.testLabels).filter { $0 == $1 }.count
        let n = Double(max(1, predicted.count))
        return .init(fidelity: Double(agree) / n, accuracy: Double(right) / n)
    }

    public static func fit(_ inputs: Inputs, clustering: ClusterTree.Configuration, meta: MetaConfiguration,
                           extraPool: ((ClusterTree, (Matrix, [Int], SoftLabels?) -> Void) throws -> Void)? = nil,
                           progress: ProgressSink = .silent) throws -> (InterpretationModel, [InstanceRecord], Timings) {
        var timings = Timings()
        let pool = try Self.pool(inputs, clustering: clustering, meta: meta, extraPool: extraPool, progress: progress, timings: &timings)
        let start = DispatchTime.now().uptimeNanoseconds
        let clusters = pool.tree.level1.count
        let forests = ProgressMeter(progress, stage: "interpret: \(meta.forest.trees)-tree forests on \(pool.binned.rows) meta-level training points",
                                    total: clusters, unit: "clusters")
        let learners = try pool.learners(of: Array(0..<clusters), classes: inputs.classes, configuration: meta, progress: forests)
        forests.finish()
        timings.forestSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let model = InterpretationModel(tree: pool.tree, binner: pool.binner, meta: MetaLearner(learners: learners, configuration: meta))
        return (model, decide(model, inputs: inputs, timings: &timings), timings)
    }

    /// `decide` on the test set of `inputs`, timed into `timings`.
    public static func decide(_ model: InterpretationModel, inputs: Inputs, timings: inout Timings) -> [InstanceRecord] {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { timings.predictSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        return decide(model, features: inputs.testFeatures, cnnPredictions: inputs.testPredictions,
                      cnnProbabilities: inputs.testProbabilities, labels: inputs.testLabels, classes: inputs.classes)
    }

    /// Routes every row and takes the meta-level decision: the class with most votes in
    /// the level-1 cluster's forest, ties going to the level-2 cluster's majority.
    public static func decide(_ model: InterpretationModel, features: Matrix, cnnPredictions: [Int],
                              cnnProbabilities: [Double], labels: [Int], classes: Int) -> [InstanceRecord] {
        let routes = model.tree.route(features)
        var records = [InstanceRecord?](repeating: nil, count: features.rows)
        records.withUnsafeMutableBufferPointer { buffer in
            let out = buffer.baseAddress!
            features.values.withUnsafeBufferPointer { x in
                let xp = x.baseAddress!
                Parallel.forRanges(features.rows, grain: 16) { range in
                    for i in range {
                        let route = routes[i]
                        let votes = model.meta.learners[route.level1].votes(xp + i * features.columns, classes: classes)
                        let top = votes.max()!
                        let tied = votes.indices.filter { votes[$0] == top }
                        let fallback = model.tree.level2[route.level1][route.level2].majority
                        let decision = tied.count == 1 ? tied[0] : (tied.contains(fallback) ? fallback : tied[0])
                        out[i] = InstanceRecord(index: i, label: labels[i], cnnPrediction: cnnPredictions[i],
                                                cnnProbability: cnnProbabilities[i], route: route, votes: votes,
                                                intePrediction: decision)
                    }
                }
            }
        }
        return records.map { $0! }
    }
}
