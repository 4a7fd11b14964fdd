import Foundation

/// The figures that judge an interpretation (fidelity first: agreement with the CNN).
public struct InterpretationMetrics: Codable, Equatable, Sendable {
    public var n_test: Int
    public var cnn_test_accuracy: Double
    public var inte_test_accuracy: Double
    /// Share of test instances where CNN-INTE's prediction equals the CNN's.
    public var fidelity: Double
    /// Fidelity among the instances the CNN assigned to each class.
    public var fidelity_per_class: [Double?]
    /// Share of training members with their cluster's majority prediction, over all
    /// clusters of a level; and of test instances with their routed cluster's majority.
    public var purity_level1_train: Double
    public var purity_level2_train: Double
    public var purity_level1_test: Double
    public var purity_level2_test: Double
    /// `[truth][cnn]` and `[cnn][cnn-inte]`.
    public var confusion_cnn_vs_truth: [[Int]]
    public var confusion_inte_vs_cnn: [[Int]]

    public init(records: [InstanceRecord], tree: ClusterTree, classes: Int) {
        let n = records.count
        n_test = n
        func share(_ count: Int, _ of: Int) -> Double { of == 0 ? 0 : Double(count) / Double(of) }
        cnn_test_accuracy = share(records.filter { $0.cnnPrediction == $0.label }.count, n)
        inte_test_accuracy = share(records.filter { $0.intePrediction == $0.label }.count, n)
        fidelity = share(records.filter(\.agrees).count, n)
        fidelity_per_class = (0..<classes).map { c in
            let mine = records.filter { $0.cnnPrediction == c }
            return mine.isEmpty ? nil : share(mine.filter(\.agrees).count, mine.count)
        }
        let l1Size = tree.level1.reduce(0) { $0 + $1.size }
        purity_level1_train = share(tree.level1.reduce(0) { $0 + $1.predictionHistogram[$1.majority] }, l1Size)
        let l2 = tree.level2.flatMap { $0 }
        purity_level2_train = share(l2.reduce(0) { $0 + $1.predictionHistogram[$1.majority] }, l2.reduce(0) { $0 + $1.size })
        purity_level1_test = share(records.filter { tree.level1[$0.route.level1].majority == $0.cnnPrediction }.count, n)
        purity_level2_test = share(records.filter { tree.level2[$0.route.level1][$0.route.level2].majority == $0.cnnPrediction }.count, n)
        var truth = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var meta = truth
        for r in records {
            truth[r.label][r.cnnPrediction] += 1
            meta[r.cnnPrediction][r.intePrediction] += 1
        }
        confusion_cnn_vs_truth = truth
        confusion_inte_vs_cnn = meta
    }
}
