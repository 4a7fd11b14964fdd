import Foundation
import Numerics

/// Softmax followed by cross-entropy against integer labels, averaged over the batch.
///
/// Shapes: logits `[N, classes]`. Returns the mean loss, writes `(softmax - onehot) / N`
/// into `gradient` (resized to the logits' shape) and counts correct argmax predictions.
public enum SoftmaxCrossEntropy {
    public static func lossAndGradient(logits: Tensor, labels: UnsafePointer<Int32>, gradient: Tensor) -> (loss: Double, correct: Int) {
        let n = logits.batch, classes = logits.sampleSize
        gradient.resize(logits.shape)
        var total = 0.0
        var correct = 0
        let scale = 1 / Float(n)
        for row in 0..<n {
            let z = logits.pointer + row * classes
            let g = gradient.pointer + row * classes
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
        return (total / Double(n), correct)
    }

    /// Softmax of each row of `logits`, as probabilities.
    public static func probabilities(_ logits: UnsafePointer<Float>, classes: Int) -> [Float] {
        var maxValue = logits[0]
        for c in 1..<classes { maxValue = max(maxValue, logits[c]) }
        var p = (0..<classes).map { expf(logits[$0] - maxValue) }
        let sum = p.reduce(0, +)
        for c in 0..<classes { p[c] /= sum }
        return p
    }
}
