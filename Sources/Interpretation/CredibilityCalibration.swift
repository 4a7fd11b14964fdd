import Datasets
import Foundation
import Numerics
import OutputFolders

/// The credibility's calibration, a stage of every interpretation: it gives each test
/// instance its credibility (instances.csv), the credibility model and its figures
/// (results.json), and the held-out images the unit cards measure on, so it runs before the
/// analyses (`Analyses`) rather than as one of them.
extension InterpretationRun {
    /// Most training images whose fresh augmented copy calibrates the credibility.
    public static let calibrationCap = 20_000

    /// Held-out images kept per level-1 cluster for the forests' permutation importances.
    static let heldOutPerCluster = 2_000

    /// Fits the credibility on one fresh CNN-labelled augmented copy of each training image
    /// (of at most `calibrationCap`, chosen by `seed`): data the forests never trained on,
    /// decided by them like a test image, with the CNN's agreement known. Also returns up
    /// to `heldOutPerCluster` of those images routed to each level-1 cluster, with the
    /// CNN's labels, for `ForestInsight`.
    static func calibrate(_ fitted: InterpretationModel, dataset: Dataset, labeller: ImageLabeller, layer: String,
                          seed: SplitMix64, progress: ProgressSink = .silent) throws -> (CredibilityModel, [(features: Matrix, labels: [Int])], Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        var images = dataset.train.images
        if images.count > calibrationCap {
            var rng = seed.derived(1)
            var order = Array(0..<images.count)
            for i in 0..<calibrationCap { order.swapAt(i, i + rng.nextInt(below: order.count - i)) }
            images = images.images(at: order.prefix(calibrationCap).sorted())
        }
        var signals: [CredibilitySignals] = [], agrees: [Bool] = []
        let clusters = fitted.tree.level1.count
        var heldValues = [[Float]](repeating: [], count: clusters), heldLabels = [[Int]](repeating: [], count: clusters)
        var width = 0
        let meter = ProgressMeter(progress, stage: "interpret: credibility, calibrated on a fresh CNN-labelled augmented copy of each training image",
                                  total: images.count, unit: "images")
        defer { meter.finish() }
        try addAugmentedCopies(of: images, copies: 1, seed: seed, labeller: labeller, layer: layer, progress: meter) { features, probabilities in
            let predictions = probabilities.argmaxRows()
            let decided = Interpreter.decide(fitted, features: features, cnnPredictions: predictions,
                                             cnnProbabilities: predictions.map { _ in 0 }, labels: predictions, classes: dataset.classCount)
            signals += CredibilitySignals.of(decided, features: features, model: fitted, classes: dataset.classCount)
            agrees += decided.map(\.agrees)
            width = features.columns
            for (i, r) in decided.enumerated() where heldLabels[r.route.level1].count < heldOutPerCluster {
                heldValues[r.route.level1] += features.values[(i * width)..<((i + 1) * width)]
                heldLabels[r.route.level1].append(predictions[i])
            }
        }
        let model = CredibilityModel.fit(signals, agrees: agrees)
        let heldOut = (0..<clusters).map { c in
            (features: Matrix(rows: heldLabels[c].count, columns: width, values: heldValues[c]), labels: heldLabels[c])
        }
        return (model, heldOut, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
}
