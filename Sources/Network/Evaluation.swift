import Datasets
import Foundation
import Numerics

/// How a model does on labelled images.
public struct Evaluation: Sendable {
    public let predictions: [Int]
    /// Softmax probabilities, one row per image.
    public let probabilities: Matrix
    /// `confusion[truth][predicted]`.
    public let confusion: [[Int]]
    public let accuracy: Double

    public init(model: Model, split: Split) throws {
        self.init(probabilities: try model.probabilities(images: split.images), labels: split.labels)
    }

    /// From probabilities already computed (one row per image, in the labels' order).
    public init(probabilities: Matrix, labels: [UInt8]) {
        let split = (count: labels.count, labels: labels)
        let classes = probabilities.columns
        var predictions: [Int] = []
        predictions.reserveCapacity(split.count)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var correct = 0
        let argmax = probabilities.argmaxRows()
        for row in 0..<probabilities.rows {
            let predicted = argmax[row]
            predictions.append(predicted)
            let truth = Int(split.labels[row])
            if truth < classes { confusion[truth][predicted] += 1 }
            if truth == predicted { correct += 1 }
        }
        self.predictions = predictions
        self.probabilities = probabilities
        self.confusion = confusion
        self.accuracy = Double(correct) / Double(max(split.count, 1))
    }

    /// Accuracy on a subset (validation), batched.
    public static func accuracy(model: Model, images: ImageSet, labels: [UInt8], indices: [Int], batchSize: Int = 100) throws -> Double {
        var correct = 0
        var start = 0
        let classes = model.classCount
        while start < indices.count {
            let end = min(start + batchSize, indices.count)
            let executor = try model.executor(.inference, batch: end - start)
            model.fill(executor, from: images, indices: indices[start..<end])
            executor.forward()
            let logits = try executor.logits()
            for row in 0..<(end - start) {
                let z = logits + row * classes
                var best = 0
                for c in 1..<classes where z[c] > z[best] { best = c }
                if best == Int(labels[indices[start + row]]) { correct += 1 }
            }
            start = end
        }
        return Double(correct) / Double(max(indices.count, 1))
    }
}
