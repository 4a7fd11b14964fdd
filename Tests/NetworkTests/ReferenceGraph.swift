import Foundation
@testable import Network

/// A plain, slow evaluation of a graph in Double, straight from each operation's
/// definition, for the tests only: the engine is checked against it (forward) and against
/// finite differences of it (backward). Tensors are NCHW (`[N, C, H, W]` row-major) or
/// `[N, F]`; parameters are in oneDNN's logical order (`ParameterSpec.dims`), row-major.
struct ReferenceGraph {
    let graph: Graph
    /// Parameter values by name, row-major in `ParameterSpec.dims` order.
    var parameters: [String: [Double]]
    /// Dropout masks by node name (values 0 or 1 / (1 - rate)), for training.
    var masks: [String: [Double]] = [:]

    struct Tensor {
        var dims: [Int]  // with the batch first
        var values: [Double]
        subscript(_ n: Int, _ c: Int, _ y: Int, _ x: Int) -> Double {
            values[((n * dims[1] + c) * dims[2] + y) * dims[3] + x]
        }
    }

    /// Every node's output for `input` (`[N, C, H, W]`), training or inference.
    func evaluate(_ input: Tensor, training: Bool) throws -> [String: Tensor] {
        let shapes = try graph.shapes()
        var out = [Graph.inputName: input]
        let n = input.dims[0]
        for node in graph.nodes {
            let xs = node.inputs.map { out[$0]! }
            let x = xs[0]
            let dims = [n] + shapes[node.name]!
            var y = Tensor(dims: dims, values: [Double](repeating: 0, count: dims.reduce(1, *)))
            func p(_ suffix: String) -> [Double] { parameters[node.name + "." + suffix]! }
            switch node.op {
            case let .convolution(c):
                let pad = try graph.resolvedPadding(node, shapes: shapes)
                let w = p("weight"), b = c.bias ? p("bias") : nil
                let (ci, co, g) = (x.dims[1], c.filters, c.groups)
                let (cig, cog) = (ci / g, co / g)
                let (kh, kw) = (c.kernel[0], c.kernel[1])
                for b0 in 0..<n {
                    for o in 0..<co {
                        let group = o / cog
                        for oy in 0..<dims[2] {
                            for ox in 0..<dims[3] {
                                var s = b?[o] ?? 0
                                for i in 0..<cig {
                                    for ky in 0..<kh {
                                        for kx in 0..<kw {
                                            let iy = oy * c.stride[0] - pad.begin[0] + ky * c.dilation[0]
                                            let ix = ox * c.stride[1] - pad.begin[1] + kx * c.dilation[1]
                                            guard iy >= 0, iy < x.dims[2], ix >= 0, ix < x.dims[3] else { continue }
                                            // weight [O, I/g, KH, KW] (groups: [G, O/g, I/g, KH, KW], the same order)
                                            s += w[((o * cig + i) * kh + ky) * kw + kx] * x[b0, group * cig + i, iy, ix]
                                        }
                                    }
                                }
                                y.values[((b0 * co + o) * dims[2] + oy) * dims[3] + ox] = Self.activate(s, c.activation)
                            }
                        }
                    }
                }
            case let .pooling(pool):
                let pad = try graph.resolvedPadding(node, shapes: shapes)
                for b0 in 0..<n {
                    for ch in 0..<dims[1] {
                        for oy in 0..<dims[2] {
                            for ox in 0..<dims[3] {
                                var best = -Double.infinity, sum = 0.0, count = 0
                                for ky in 0..<pool.window[0] {
                                    for kx in 0..<pool.window[1] {
                                        let iy = oy * pool.stride[0] - pad.begin[0] + ky, ix = ox * pool.stride[1] - pad.begin[1] + kx
                                        guard iy >= 0, iy < x.dims[2], ix >= 0, ix < x.dims[3] else { continue }
                                        let v = x[b0, ch, iy, ix]
                                        best = max(best, v)
                                        sum += v
                                        count += 1
                                    }
                                }
                                y.values[((b0 * dims[1] + ch) * dims[2] + oy) * dims[3] + ox] =
                                    pool.kind == .max ? best : sum / Double(pool.countPadding ? pool.window[0] * pool.window[1] : count)
                            }
                        }
                    }
                }
            case .globalAveragePooling:
                let area = Double(x.dims[2] * x.dims[3])
                for b0 in 0..<n {
                    for ch in 0..<dims[1] {
                        var s = 0.0
                        for yy in 0..<x.dims[2] { for xx in 0..<x.dims[3] { s += x[b0, ch, yy, xx] } }
                        y.values[b0 * dims[1] + ch] = s / area
                    }
                }
            case let .dense(d):
                let flat = Self.flatten(x, order: graph.flattenOrder)
                let w = p("weight"), b = d.bias ? p("bias") : nil
                let f = flat.count / n
                for b0 in 0..<n {
                    for o in 0..<d.units {
                        var s = b?[o] ?? 0
                        for i in 0..<f { s += w[o * f + i] * flat[b0 * f + i] }
                        y.values[b0 * d.units + o] = Self.activate(s, d.activation)
                    }
                }
            case let .batchNormalization(bn):
                let c = x.dims[1], area = x.values.count / (n * c)
                let scale = p("scale"), shift = p("shift")
                var mean = p("running_mean"), variance = p("running_var")
                if training {
                    for ch in 0..<c {
                        var s = 0.0, s2 = 0.0
                        for b0 in 0..<n { for a in 0..<area { let v = x.values[(b0 * c + ch) * area + a]; s += v; s2 += v * v } }
                        let m = Double(n * area)
                        mean[ch] = s / m
                        variance[ch] = s2 / m - mean[ch] * mean[ch]
                    }
                }
                for b0 in 0..<n {
                    for ch in 0..<c {
                        for a in 0..<area {
                            let i = (b0 * c + ch) * area + a
                            y.values[i] = (x.values[i] - mean[ch]) / (variance[ch] + Double(bn.epsilon)).squareRoot() * scale[ch] + shift[ch]
                        }
                    }
                }
            case let .activation(a):
                y.values = x.values.map { Self.activate($0, a) }
            case let .dropout(rate):
                y.values = training && rate > 0 ? zip(x.values, masks[node.name]!).map(*) : x.values
            case .add:
                y.values = xs.dropFirst().reduce(x.values) { zip($0, $1.values).map(+) }
            case .concat:
                let area = dims.dropFirst(2).reduce(1, *)
                var offset = 0
                for part in xs {
                    let c = part.dims[1]
                    for b0 in 0..<n {
                        for ch in 0..<c {
                            for a in 0..<area { y.values[(b0 * dims[1] + offset + ch) * area + a] = part.values[(b0 * c + ch) * area + a] }
                        }
                    }
                    offset += c
                }
            case .flatten:
                y.values = Self.flatten(x, order: graph.flattenOrder)
            case .softmax, .binary, .channels, .resize, .pad, .layerNormalization, .channelReduction, .channelShuffle, .adaptiveAveragePooling:
                y.values = Self.imported(node.op, xs, dims: dims, parameter: p)
            }
            out[node.name] = y
        }
        return out
    }

    /// A feature map's values per sample in the flatten order (vectors as they are).
    static func flatten(_ x: Tensor, order: Graph.FlattenOrder) -> [Double] {
        guard x.dims.count == 4, order == .channelsLast else { return x.values }
        let (n, c, h, w) = (x.dims[0], x.dims[1], x.dims[2], x.dims[3])
        var out = [Double](repeating: 0, count: x.values.count)
        for b in 0..<n { for yy in 0..<h { for xx in 0..<w { for ch in 0..<c { out[((b * h + yy) * w + xx) * c + ch] = x[b, ch, yy, xx] } } } }
        return out
    }

    static func activate(_ v: Double, _ a: Activation) -> Double {
        switch a {
        case .none: return v
        case .relu: return max(v, 0)
        case let .leakyRelu(slope): return v > 0 ? v : Double(slope) * v
        case let .clip(lower, upper): return min(max(v, Double(lower)), Double(upper))
        case .sigmoid: return 1 / (1 + exp(-v))
        case .tanh: return Foundation.tanh(v)
        case .hardSwish: return v * min(max(v + 3, 0), 6) / 6
        case let .hardSigmoid(alpha, beta): return min(max(Double(alpha) * v + Double(beta), 0), 1)
        case .silu: return v / (1 + exp(-v))
        case let .gelu(approximate):
            return approximate ? 0.5 * v * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (v + 0.044715 * v * v * v)))
                               : 0.5 * v * (1 + Foundation.erf(v / 2.squareRoot()))
        case let .elu(alpha): return v > 0 ? v : Double(alpha) * (exp(v) - 1)
        case .mish: return v * Foundation.tanh(log(1 + exp(v)))
        case .softplus: return log(1 + exp(v))
        case .exp: return exp(v)
        case .negate: return -v
        case .erf: return Foundation.erf(v)
        }
    }

    /// Mean softmax cross-entropy of the logits node's output against `labels`.
    func loss(_ input: Tensor, labels: [Int], training: Bool) throws -> Double {
        let logits = try evaluate(input, training: training)[graph.logitsNode.name]!
        let classes = logits.dims[1]
        var total = 0.0
        for (b, label) in labels.enumerated() {
            let row = logits.values[(b * classes)..<((b + 1) * classes)]
            let top = row.max()!
            total += log(row.map { exp($0 - top) }.reduce(0, +)) - (row[row.startIndex + label] - top)
        }
        return total / Double(labels.count)
    }
}
