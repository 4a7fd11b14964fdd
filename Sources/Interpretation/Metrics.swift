import Foundation

/// The figures that judge an interpretation (fidelity first: agreement with the CNN).
public struct InterpretationMetrics: Codable, Equatable, Sendable {
    public var nTest: Int
    public var cnnTestAccuracy: Double
    public var inteTestAccuracy: Double
    /// Share of test instances where CNN-INTE's prediction equals the CNN's.
    public var fidelity: Double
    /// Fidelity among the instances the CNN assigned to each class.
    public var fidelityPerClass: [Double?]
    /// Share of training members with their cluster's majority prediction, over all
    /// clusters of a level; and of test instances with their routed cluster's majority.
    public var purityLevel1Train: Double
    public var purityLevel2Train: Double
    public var purityLevel1Test: Double
    public var purityLevel2Test: Double
    /// `[truth][cnn]` and `[cnn][cnn-inte]`.
    public var confusionCnnVsTruth: [[Int]]
    public var confusionInteVsCnn: [[Int]]

    /// JSON keys as the files have always had them.
    enum CodingKeys: String, CodingKey {
        case nTest = "n_test", cnnTestAccuracy = "cnn_test_accuracy", inteTestAccuracy = "inte_test_accuracy",
             fidelity, fidelityPerClass = "fidelity_per_class", purityLevel1Train = "purity_level1_train",
             purityLevel2Train = "purity_level2_train", purityLevel1Test = "purity_level1_test",
             purityLevel2Test = "purity_level2_test", confusionCnnVsTruth = "confusion_cnn_vs_truth",
             confusionInteVsCnn = "confusion_inte_vs_cnn"
    }

    /// The share of `records` where CNN-INTE agrees with the CNN; nil when there are none.
    public static func fidelity(of records: [InstanceRecord]) -> Double? {
        records.isEmpty ? nil : Double(records.filter(\.agrees).count) / Double(records.count)
    }

    public init(records: [InstanceRecord], tree: ClusterTree, classes: Int) {
        let n = records.count
        nTest = n
        func share(_ count: Int, _ of: Int) -> Double { of == 0 ? 0 : Double(count) / Double(of) }
        cnnTestAccuracy = share(records.filter { $0.cnnPrediction == $0.label }.count, n)
        inteTestAccuracy = share(records.filter { $0.intePrediction == $0.label }.count, n)
        fidelity = share(records.filter(\.agrees).count, n)
        fidelityPerClass = (0..<classes).map { c in Self.fidelity(of: records.filter { $0.cnnPrediction == c }) }
        let l1Size = tree.level1.reduce(0) { $0 + $1.size }
        purityLevel1Train = share(tree.level1.reduce(0) { $0 + $1.predictionHistogram[$1.majority] }, l1Size)
        let l2 = tree.level2.flatMap { $0 }
        purityLevel2Train = share(l2.reduce(0) { $0 + $1.predictionHistogram[$1.majority] }, l2.reduce(0) { $0 + $1.size })
        purityLevel1Test = share(records.filter { tree.level1[$0.route.level1].majority == $0.cnnPrediction }.count, n)
        purityLevel2Test = share(records.filter { tree.level2[$0.route.level1][$0.route.level2].majority == $0.cnnPrediction }.count, n)
        var truth = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var meta = truth
        for r in records {
            truth[r.label][r.cnnPrediction] += 1
            meta[r.cnnPrediction][r.intePrediction] += 1
        }
        confusionCnnVsTruth = truth
        confusionInteVsCnn = meta
    }
}
