import Datasets
import Foundation
import Numerics

/// The credibility (`CredibilityModel`), as a decision stage: calibrated on one fresh
/// CNN-labelled augmented copy of each training image, it gives every test instance its
/// credibility (instances.csv), puts the model and its figures in results.json, and hands
/// the analyses after it the held-out images the unit cards measure on.
public struct CredibilityCalibration: DecisionStage {
    public var model: CredibilityModel
    /// Per level-1 cluster, calibration images routed to it, with the CNN's labels.
    public var heldOut: [(features: Matrix, labels: [Int])]
    /// The model's score of each test instance, in the records' order.
    public var credibilities: [Double] = []
    public var figures: CredibilityFigures? = nil

    public static let timingKey = "credibility"

    /// Most training images whose fresh augmented copy calibrates the credibility.
    public static let calibrationCap = 20_000

    /// Held-out images kept per level-1 cluster for the forests' permutation importances.
    static let heldOutPerCluster = 2_000

    public static func compute(_ context: AnalysisContext) throws -> CredibilityCalibration {
        let c = context.configuration
        var stage = try calibrate(context.fitted, dataset: context.dataset, source: context.activations,
                                  seed: seed(c), progress: context.progress)
        let signals = CredibilitySignals.of(context.records, features: context.testFeatures, model: context.fitted,
                                            classes: context.dataset.classCount)
        stage.credibilities = signals.map(stage.model.credibility)
        stage.figures = CredibilityFigures(credibility: stage.credibilities, agrees: context.records.map(\.agrees))
        return stage
    }

    public func apply(to context: inout AnalysisContext) {
        for i in context.records.indices { context.records[i].credibility = credibilities[i] }
        context.heldOut = heldOut
    }

    public func record(in results: inout InterpretationResults) {
        (results.credibility, results.credibilityFigures) = (model, figures)
    }

    /// The seed of the calibration's copies, from the interpretation's settings.
    public static func seed(_ configuration: InterpretationConfiguration) -> SplitMix64 { configuration.augmentationSeed.derived(0xCA1) }

    /// The training images whose fresh copy calibrates: all, or `calibrationCap` of them
    /// chosen by `seed`, in their order.
    public static func calibrationImages(_ images: ImageSet, seed: SplitMix64) -> PickedImages {
        guard images.count > calibrationCap else { return PickedImages(images) }
        var rng = seed.derived(1)
        var order = Array(0..<images.count)
        for i in 0..<calibrationCap { order.swapAt(i, i + rng.nextInt(below: order.count - i)) }
        return PickedImages(images, indices: order.prefix(calibrationCap).sorted())
    }

    /// Fits the credibility on one fresh CNN-labelled augmented copy of each training image
    /// (of at most `calibrationCap`, chosen by `seed`): data the forests never trained on,
    /// decided by them like a test image, with the CNN's agreement known. Also keeps up to
    /// `heldOutPerCluster` of those images routed to each level-1 cluster, with the CNN's
    /// labels, for `ForestInsight`.
    static func calibrate(_ fitted: InterpretationModel, dataset: Dataset, source: ActivationSource,
                          seed: SplitMix64, progress: ProgressSink = .silent) throws -> CredibilityCalibration {
        let images = calibrationImages(dataset.train.images, seed: seed)
        var signals: [CredibilitySignals] = [], agrees: [Bool] = []
        let clusters = fitted.tree.level1.count
        var heldValues = [[Float]](repeating: [], count: clusters), heldLabels = [[Int]](repeating: [], count: clusters)
        var width = 0
        let meter = ProgressMeter(progress, stage: "interpret: credibility, calibrated on a fresh CNN-labelled augmented copy of each training image",
                                  total: images.count, unit: "images")
        defer { meter.finish() }
        try InterpretationRun.addAugmentedCopies(of: images, copies: 1, seed: seed, source: source, pass: ActivationPass.calibration,
                                                 progress: meter) { features, probabilities in
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
        let heldOut = (0..<clusters).map { c in
            (features: Matrix(rows: heldLabels[c].count, columns: width, values: heldValues[c]), labels: heldLabels[c])
        }
        return CredibilityCalibration(model: CredibilityModel.fit(signals, agrees: agrees), heldOut: heldOut)
    }
}
