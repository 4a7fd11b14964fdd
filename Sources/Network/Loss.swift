import Foundation
import Numerics

/// Softmax followed by cross-entropy against integer labels, averaged over the batch.
public enum SoftmaxCrossEntropy {
    /// `logits` and `gradient` are `rows x classes`, row-major. Returns the mean loss, writes
    /// `(softmax - onehot) / rows` into `gradient` and counts correct argmax predictions.
    public static func lossAndGradient(logits: UnsafePointer<Float>, rows: Int, classes: Int, labels: UnsafePointer<Int32>,
                                       gradient: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        var total = 0.0
        var correct = 0
        let scale = 1 / Float(rows)
        for row in 0..<rows {
            let z = logits + row * classes
            let g = gradient + row * classes
            var maxValue = z[0], maxIndex = 0
            for c in 1..<classes where z[c] > maxValue { maxValue = z[c]; maxIndex = c }
            var sum: Float = 0
            for c in 0..<classes {
                g[c] = expf(z[c] - maxValue)
                sum += g[c]
            }
            let label = Int(labels[row])
            total += Double(logf(sum) - (z[label] - maxValue))
            if maxIndex == label { correct += 1 }
            for c in 0..<classes { g[c] = g[c] / sum * scale }
            g[label] -= scale
        }
        return (total / Double(rows), correct)
    }

    /// Softmax of one row of `logits`, as probabilities.
    public static func probabilities(_ logits: UnsafePointer<Float>, classes: Int) -> [Float] {
        var maxValue = logits[0]
        for c in 1..<classes { maxValue = max(maxValue, logits[c]) }
        var p = (0..<classes).map { expf(logits[$0] - maxValue) }
        let sum = p.reduce(0, +)
        for c in 0..<classes { p[c] /= sum }
        return p
    }
}
