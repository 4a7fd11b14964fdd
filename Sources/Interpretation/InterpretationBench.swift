import Foundation
import Numerics

/// The interpretation figures of `cnn-inte bench`: the stages timed on given activations.
public enum InterpretationBench {
    public struct Figures: Sendable {
        public var kmeansLevel1: Double
        public var kmeansLevel2: Double
        public var forestFit: Double
        public var forestPredict: Double
        public var forestFidelity: Double
    }

    /// Level-1 k-means (k1 = 10), level 2 inside every level-1 cluster (k2 = 5), one
    /// 100-tree forest on all training rows (binning included) and its votes on the test rows.
    public static func run(train: Matrix, trainPredictions: [Int], test: Matrix, testPredictions: [Int],
                           classes: Int, seed: UInt64) throws -> Figures {
        func seconds(_ start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
        var clock = DispatchTime.now().uptimeNanoseconds
        let top = try KMeans.fit(train, configuration: .init(k: 10, seed: seed))
        let level1 = seconds(clock)
        clock = DispatchTime.now().uptimeNanoseconds
        for c in 0..<top.k {
            let members = (0..<train.rows).filter { top.assignments[$0] == c }
            _ = try KMeans.fit(train.rows(members),
                               configuration: .init(k: max(1, min(5, members.count / 10)), seed: seed))
        }
        let level2 = seconds(clock)
        clock = DispatchTime.now().uptimeNanoseconds
        let binner = Binner.fit(train, seed: seed)
        let binned = binner.transform(train)
        let forest = try RandomForest.fit(data: binned, binner: binner, labels: trainPredictions.map { UInt8($0) },
                                          rows: (0..<train.rows).map(Int32.init), classes: classes,
                                          configuration: .init(trees: 100, seed: seed))
        let fit = seconds(clock)
        clock = DispatchTime.now().uptimeNanoseconds
        let predicted = forest.predict(test)
        let predict = seconds(clock)
        let agree = zip(predicted, testPredictions).filter { $0 == $1 }.count
        return Figures(kmeansLevel1: level1, kmeansLevel2: level2, forestFit: fit, forestPredict: predict,
                       forestFidelity: Double(agree) / Double(max(1, test.rows)))
    }
}
