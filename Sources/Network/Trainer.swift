import Datasets
import Foundation
import Numerics

/// How to train: everything that, with the seed and the data, fixes the resulting model.
public struct TrainingConfiguration: Codable, Equatable, Sendable {
    public enum OptimizerKind: String, Codable, Sendable, CaseIterable { case adam, sgd }
    public enum Schedule: String, Codable, Sendable, CaseIterable {
        /// The same rate throughout.
        case constant
        /// Cosine decay from the rate to 1% of it over all steps (after a short warm-up).
        case cosine
    }

    public var epochs = 20
    public var batchSize = 50
    public var optimizer = OptimizerKind.adam
    public var learningRate: Float = 1e-3
    public var schedule = Schedule.cosine
    public var momentum: Float = 0.9
    /// Share of the training images held out to report validation accuracy per epoch.
    public var validationFraction = 0.0
    /// nil trains on the images as they are.
    public var augmentation: Augmentation? = Augmentation()
    public var seed: UInt64 = 1
    public var threads = Parallel.threads

    public init() {}
}

/// What one epoch did.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var loss: Double
    public var trainAccuracy: Double
    public var validationAccuracy: Double?
    public var learningRate: Double
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// A snapshot for progress display.
public struct TrainingProgress: Sendable {
    public var epoch: Int, epochs: Int
    public var batch: Int, batches: Int
    public var loss: Double, accuracy: Double
    public var imagesPerSecond: Double
    public var secondsLeft: Double
}

/// Training that went off: the loss became infinite or NaN, usually from too large a rate.
public struct Diverged: Error, CustomStringConvertible, Equatable {
    public let epoch: Int
    public let batch: Int
    public let loss: Double
    public var description: String {
        "training diverged at epoch \(epoch), batch \(batch) (the loss became \(loss)); lower --learning-rate"
    }
}

/// Mini-batch training with a seeded shuffle each epoch.
public final class Trainer {
    public let model: Model
    public let configuration: TrainingConfiguration
    private let optimizer: Optimizer
    private var rng: SplitMix64
    private var labels: [Int32] = []
    private var step = 0
    private var totalSteps = 1

    public init(model: Model, configuration: TrainingConfiguration) {
        self.model = model
        self.configuration = configuration
        switch configuration.optimizer {
        case .adam: optimizer = Adam(learningRate: configuration.learningRate)
        case .sgd: optimizer = SGD(learningRate: configuration.learningRate, momentum: configuration.momentum)
        }
        rng = SplitMix64(seed: configuration.seed).derived(0x7EA1)
        model.reseedDropout(SplitMix64(seed: configuration.seed).derived(0xD809).state)
    }

    /// The learning rate at `step` of `totalSteps`.
    func learningRate(at step: Int) -> Float {
        let base = configuration.learningRate
        switch configuration.schedule {
        case .constant: return base
        case .cosine:
            let warmup = min(100, totalSteps / 20)
            if step < warmup { return base * Float(step + 1) / Float(warmup) }
            let progress = Double(step - warmup) / Double(max(1, totalSteps - warmup))
            let floor = 0.01
            return base * Float(floor + (1 - floor) * 0.5 * (1 + cos(.pi * progress)))
        }
    }

    /// Splits `count` indices into (train, validation) after a seeded shuffle.
    public func split(count: Int) -> (train: [Int], validation: [Int]) {
        var order = Array(0..<count)
        var splitRng = SplitMix64(seed: configuration.seed).derived(0x5417)
        order.shuffle(using: &splitRng)
        let held = Int((Double(count) * configuration.validationFraction).rounded())
        return (Array(order[held...]), Array(order[..<held]))
    }

    /// Trains on `split`; returns one record per epoch. `progress` is called after each
    /// batch, `epochDone` after each epoch.
    /// Stops with `Diverged` at the first batch whose loss is not a finite number.
    public func train(_ data: Split, progress: ((TrainingProgress) -> Void)? = nil,
                      epochDone: ((EpochRecord) -> Void)? = nil) throws -> [EpochRecord] {
        let (trainIndices, validationIndices) = split(count: data.count)
        let batch = configuration.batchSize
        let batchesPerEpoch = (trainIndices.count + batch - 1) / batch
        totalSteps = batchesPerEpoch * configuration.epochs
        var history: [EpochRecord] = []
        var order = trainIndices
        let started = DispatchTime.now().uptimeNanoseconds
        for epoch in 1...max(1, configuration.epochs) where configuration.epochs > 0 {
            let epochStart = DispatchTime.now().uptimeNanoseconds
            order.shuffle(using: &rng)
            var lossSum = 0.0, correct = 0, seen = 0
            for b in 0..<batchesPerEpoch {
                let indices = order[(b * batch)..<min((b + 1) * batch, order.count)]
                let (loss, right) = try trainStep(data, indices: indices)
                guard loss.isFinite else { throw Diverged(epoch: epoch, batch: b + 1, loss: loss) }
                lossSum += loss * Double(indices.count)
                correct += right
                seen += indices.count
                if let progress {
                    let elapsed = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    let done = (epoch - 1) * batchesPerEpoch + b + 1
                    let rate = Double((epoch - 1) * trainIndices.count + seen) / max(elapsed, 1e-9)
                    progress(TrainingProgress(
                        epoch: epoch, epochs: configuration.epochs, batch: b + 1, batches: batchesPerEpoch,
                        loss: lossSum / Double(seen), accuracy: Double(correct) / Double(seen),
                        imagesPerSecond: rate,
                        secondsLeft: elapsed / Double(done) * Double(totalSteps - done)))
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - epochStart) / 1e9
            var validation: Double?
            if !validationIndices.isEmpty {
                validation = try Evaluation.accuracy(model: model, images: data.images, labels: data.labels, indices: validationIndices)
            }
            let record = EpochRecord(epoch: epoch, loss: lossSum / Double(max(seen, 1)),
                                     trainAccuracy: Double(correct) / Double(max(seen, 1)),
                                     validationAccuracy: validation,
                                     learningRate: Double(learningRate(at: step - 1)), seconds: seconds,
                                     imagesPerSecond: Double(seen) / seconds)
            history.append(record)
            epochDone?(record)
        }
        return history
    }

    /// One optimisation step on the images at `indices`; returns (mean loss, correct).
    @discardableResult
    public func trainStep(_ data: Split, indices: ArraySlice<Int>) throws -> (Double, Int) {
        let images = data.images
        let executor = try model.executor(.training, batch: indices.count)
        if let augmentation = configuration.augmentation {
            // Draw every transform first, in order, so the thread count cannot change them.
            let transforms = indices.map { _ in augmentation.draw(&rng) }
            let pointer = executor.input.floats, pixels = images.pixelsPerImage
            let list = Array(indices)
            Parallel.forRanges(list.count, grain: 8) { range in
                for slot in range {
                    Augmentation.apply(transforms[slot], images: images, index: list[slot], into: pointer + slot * pixels)
                }
            }
            model.inputTransform.apply(toStandard: pointer, images: list.count, plane: images.rows * images.columns)
        } else {
            model.fill(executor, from: images, indices: indices)
        }
        labels.removeAll(keepingCapacity: true)
        for i in indices { labels.append(Int32(data.labels[i])) }
        executor.forward()
        let logits = try executor.logits()
        let classes = model.classCount
        var result = (0.0, 0)
        try executor.setLogitsGradient { gradient in
            result = labels.withUnsafeBufferPointer {
                SoftmaxCrossEntropy.lossAndGradient(logits: logits, rows: indices.count, classes: classes, labels: $0.baseAddress!,
                                                    gradient: gradient)
            }
        }
        executor.backward()
        optimizer.learningRate = learningRate(at: step)
        try optimizer.step(model.trainableParameters)
        step += 1
        return result
    }
}
