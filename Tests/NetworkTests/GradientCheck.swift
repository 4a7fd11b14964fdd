import Numerics
import XCTest
@testable import Network

/// Finite-difference checks: for loss L = sum(output * R) with a fixed random R, compare
/// the layer's backward pass with central differences of L.
enum GradientCheck {
    static func random(_ shape: [Int], seed: UInt64, scale: Double = 1) -> Tensor {
        var rng = SplitMix64(seed: seed)
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, values: (0..<count).map { _ in Float((rng.nextUnit() * 2 - 1) * scale) })
    }

    /// Returns the worst mismatch as (absolute error, value), checking every input and
    /// parameter entry (the shapes used here are small).
    static func check(_ layer: Layer, input: Tensor, seed: UInt64 = 3, step: Float = 1e-3,
                      file: StaticString = #filePath, line: UInt = #line) {
        let dropoutState = (layer as? Dropout)?.generator
        func forward() -> Tensor {
            if let dropout = layer as? Dropout, let dropoutState { dropout.generator = dropoutState }
            return layer.forward(input, training: true)
        }
        let out = forward()
        let r = random(out.shape, seed: seed)
        func loss() -> Double {
            let o = forward()
            var s = 0.0
            for i in 0..<o.count { s += Double(o[i]) * Double(r[i]) }
            return s
        }
        _ = forward()
        let gradOut = Tensor(shape: r.shape, values: r.array)
        let inputGradient = layer.backward(gradOut, needInputGradient: true)!.array
        let parameterGradients = layer.parameters.map { $0.gradient.array }

        // Which outputs a ReLU has clamped to zero; a step that changes this crossed a
        // kink, where central differences mean nothing, and that entry is skipped.
        func zeroPattern() -> [Bool] { forward().array.map { $0 == 0 } }
        let pattern = zeroPattern()
        var checked = 0, skipped = 0
        func numeric(_ tensor: Tensor, _ i: Int) -> Double? {
            let saved = tensor[i]
            tensor[i] = saved + step
            let plus = loss()
            let plusPattern = zeroPattern()
            tensor[i] = saved - step
            let minus = loss()
            let minusPattern = zeroPattern()
            tensor[i] = saved
            if plusPattern != pattern || minusPattern != pattern { skipped += 1; return nil }
            checked += 1
            return (plus - minus) / Double(2 * step)
        }
        func compare(_ analytic: Float, _ numeric: Double?, _ what: String) {
            guard let numeric else { return }
            let tolerance = 5e-3 + 2e-2 * abs(numeric)
            XCTAssertLessThan(abs(Double(analytic) - numeric), tolerance,
                              "\(layer.name) \(what): analytic \(analytic) numeric \(numeric)", file: file, line: line)
        }
        for i in 0..<input.count { compare(inputGradient[i], numeric(input, i), "d input[\(i)]") }
        for (p, parameter) in layer.parameters.enumerated() {
            for i in 0..<parameter.value.count {
                compare(parameterGradients[p][i], numeric(parameter.value, i), "d \(parameter.name)[\(i)]")
            }
        }
        XCTAssertLessThanOrEqual(skipped * 10, checked, "too many kinks to check \(layer.name)", file: file, line: line)
    }
}
