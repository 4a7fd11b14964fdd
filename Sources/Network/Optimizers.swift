import Foundation
import Numerics

/// Updates parameters from their gradients (in whatever layout they share with them).
public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    func step(_ parameters: [Parameter]) throws
}

/// Adam (Kingma & Ba 2015), with bias correction.
public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, epsilon: Float
    private var t = 0

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Parameter]) throws {
        t += 1
        let correction1 = 1 - powf(beta1, Float(t)), correction2 = 1 - powf(beta2, Float(t))
        let stepSize = learningRate * correction2.squareRoot() / correction1
        let (b1, b2, eps) = (beta1, beta2, epsilon * correction2.squareRoot())
        for parameter in parameters {
            guard let gradient = parameter.gradient else { continue }
            let state = try parameter.optimizerState(2)
            let (m, v) = (state[0].floats, state[1].floats)
            let (w, g) = (parameter.value.floats, UnsafePointer(gradient.floats))
            // Padding of blocked layouts included: its gradient is 0, so it stays 0.
            let count = parameter.value.floatCount
            Parallel.forRanges(count / 16, grain: 1 << 12) { blocks in
                // 16 lanes at a time: the scalar loop could not vectorise (the four
                // pointers may alias as far as the compiler knows).
                let (vb1, vb2, vstep, veps) = (SIMD16<Float>(repeating: b1), SIMD16<Float>(repeating: b2),
                                               SIMD16<Float>(repeating: stepSize), SIMD16<Float>(repeating: eps))
                let (one1, one2) = (SIMD16<Float>(repeating: 1 - b1), SIMD16<Float>(repeating: 1 - b2))
                for block in blocks {
                    let i = block * 16
                    let gi = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD16<Float>.self)
                    let mi = vb1 * UnsafeRawPointer(m + i).loadUnaligned(as: SIMD16<Float>.self) + one1 * gi
                    let vi = vb2 * UnsafeRawPointer(v + i).loadUnaligned(as: SIMD16<Float>.self) + one2 * gi * gi
                    let wi = UnsafeRawPointer(w + i).loadUnaligned(as: SIMD16<Float>.self) - vstep * mi / (vi.squareRoot() + veps)
                    UnsafeMutableRawPointer(m + i).storeBytes(of: mi, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(v + i).storeBytes(of: vi, as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(w + i).storeBytes(of: wi, as: SIMD16<Float>.self)
                }
            }
            for i in (count / 16 * 16)..<count {
                let gi = g[i]
                m[i] = b1 * m[i] + (1 - b1) * gi
                v[i] = b2 * v[i] + (1 - b2) * gi * gi
                w[i] -= stepSize * m[i] / (v[i].squareRoot() + eps)
            }
            parameter.touched()
        }
    }
}

/// Stochastic gradient descent with (heavy-ball) momentum.
public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float

    public init(learningRate: Float = 0.01, momentum: Float = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public func step(_ parameters: [Parameter]) throws {
        let (lr, mu) = (learningRate, momentum)
        for parameter in parameters {
            guard let gradient = parameter.gradient else { continue }
            let u = try parameter.optimizerState(1)[0].floats
            let (w, g) = (parameter.value.floats, UnsafePointer(gradient.floats))
            Parallel.forRanges(parameter.value.floatCount, grain: 1 << 16) { range in
                for i in range {
                    u[i] = mu * u[i] + g[i]
                    w[i] -= lr * u[i]
                }
            }
            parameter.touched()
        }
    }
}
