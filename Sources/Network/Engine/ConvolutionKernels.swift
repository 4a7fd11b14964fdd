import Foundation
import Numerics

extension Activation {
    /// The oneDNN functions it is, applied in order: none for `none`; nil when oneDNN has
    /// none for it (`erf`).
    var eltwises: [Eltwise]? {
        switch self {
        case .none: return []
        case .relu: return [.relu(slope: 0)]
        case let .leakyRelu(slope): return [.relu(slope: slope)]
        case let .clip(lower, upper): return [.clip(lower: lower, upper: upper)]
        case .sigmoid: return [.logistic]
        case .tanh: return [.tanh]
        case .hardSwish: return [.hardswish]
        case let .hardSigmoid(alpha, beta): return [.linear(scale: alpha, shift: beta), .clip(lower: 0, upper: 1)]
        case .silu: return [.swish(beta: 1)]
        case let .gelu(approximate): return [.gelu(tanhApproximation: approximate)]
        case let .elu(alpha): return [.elu(alpha: alpha)]
        case .mish: return [.mish]
        case .softplus: return [.softplus]
        case .exp: return [.exp]
        case .negate: return [.linear(scale: -1, shift: 0)]
        case .erf: return nil
        }
    }

    /// The one oneDNN function of an activation the engine trains through (nil for none).
    var eltwise: Eltwise? { trainable ? eltwises?.first : nil }

    /// Post-ops applying it after a convolution or dense layer (nil: none to apply).
    var attributes: Attributes? {
        guard let chain = eltwises, !chain.isEmpty else { return nil }
        return Attributes(postEltwises: chain)
    }
}

/// The backward of an activation fused into a convolution or dense layer: the gradient
/// with respect to the pre-activation, computed in place from the layer's output.
final class FusedActivationBackward {
    let primitive: Primitive
    let output: DNNLMemory
    let diff: DNNLMemory

    init?(_ activation: Activation, output: DNNLMemory, diff: DNNLMemory, hint: PrimitiveDescriptor) throws {
        guard let eltwise = activation.eltwise else { return nil }
        // The forward of the fused function as oneDNN would run it alone: only its hint.
        let forward = try PrimitiveDescriptor.eltwiseForward(.training, eltwise, data: output.descriptor, useDestinationForBackward: true)
        primitive = try Primitive(try .eltwiseBackward(eltwise, diffData: diff.descriptor, data: output.descriptor, useDestination: true,
                                                       hint: forward))
        self.output = output
        self.diff = diff
    }

    func run() { primitive.execute([(.destination, output), (.diffDestination, diff), (.diffSource, diff)]) }
}

/// A convolution (`Convolution`): forward with its activation fused, backward to the
/// input, the weights and the bias.
final class ConvolutionKernel: Kernel {
    let forwardPrimitive: Primitive
    /// The input in the layout the forward primitive takes: the producer's output, or a
    /// copy reordered into another layout (`ConvolutionLayouts`).
    let source: DNNLMemory
    let sourceReorder: Step?
    let output: DNNLMemory
    let weights: WeightView
    let bias: Parameter?
    // Training
    var activationBackward: FusedActivationBackward?
    var backwardData: (Primitive, WeightView, DNNLMemory)?
    var backwardWeights: (Primitive, GradientSink)?
    var diff: DNNLMemory?

    init(_ c: KernelContext, _ op: Convolution) throws {
        let graph = c.executor.graph
        let padding = try graph.resolvedPadding(c.node, shapes: c.executor.shapes)
        let weight = c.parameter("weight")
        bias = c.optionalParameter("bias")
        let biasLayout = bias.map { MemoryDescriptor(dims: $0.spec.dims) }
        let attributes = op.activation.attributes
        let layouts = try ConvolutionLayouts(source: c.inputs[0].descriptor, outputDims: c.outputDims, groups: op.groups,
                                             inference: !c.training) { source, destination in
            try PrimitiveDescriptor.convolutionForward(
                c.propagation, source: source, weights: .any(weight.spec.dims), bias: biasLayout, destination: destination,
                strides: op.stride, dilation: op.dilation, paddingBegin: padding.begin, paddingEnd: padding.end, attributes: attributes)
        }
        let pd = layouts.descriptor
        (source, sourceReorder) = try Step.copy(c.inputs[0], into: layouts.sourceLayout)
        let source = self.source
        let common = try WeightedForward(c, weight: weight, forward: pd, activation: op.activation)
        (weights, forwardPrimitive, output, diff, activationBackward) = (common.weights, common.primitive, common.output, common.diff,
                                                                        common.activationBackward)
        guard let diff else { return }
        if let target = c.diffTargets[0] {
            let bd = try PrimitiveDescriptor.convolutionBackwardData(
                diffSource: target.descriptor, weights: .any(weight.spec.dims), diffDestination: diff.descriptor, strides: op.stride,
                dilation: op.dilation, paddingBegin: padding.begin, paddingEnd: padding.end, hint: pd)
            backwardData = (try Primitive(bd), try WeightView(weight, layout: bd.memory(.weights)), target)
        }
        // The gradient straight into the weights' layout, unless oneDNN has no fast kernel
        // for it; then in a layout of its choosing, then from the input in a layout of its
        // choosing too (AVX2 has no fast kernel for the gradient of a first layer's weights
        // from a plain NCHW image: the input is reordered, blocked, first).
        let any = MemoryDescriptor.any(weight.spec.dims)
        let bw = try ConvolutionLayouts.firstFast([(source.descriptor, weight.layout), (source.descriptor, any), (.any(source.descriptor.dims), any)],
                                                  groups: op.groups) { from, layout in
            try .convolutionBackwardWeights(source: from, diffWeights: layout, diffBias: biasLayout, diffDestination: diff.descriptor,
                                            strides: op.stride, dilation: op.dilation, paddingBegin: padding.begin, paddingEnd: padding.end,
                                            hint: pd)
        }
        self.backwardWeights = (try Primitive(bw), try GradientSink(weight, layout: bw.memory(.diffWeights)))
        let wanted = bw.memory(.source)
        if wanted != source.descriptor {
            let copy = try DNNLMemory(wanted)
            backwardSource = (try Primitive(try .reorder(from: source.descriptor, to: wanted)), copy)
        }
        _ = try bias?.ensureGradient()
    }

    /// Training: the input reordered for the weights' gradient, when that wants another layout.
    var backwardSource: (Primitive, DNNLMemory)?

    func forward() {
        sourceReorder?.run()
        WeightedPasses.forward(forwardPrimitive, source: source, weights: weights, bias: bias, output: output)
    }

    func backward() {
        var gradientSource = source
        if let (reorder, copy) = backwardSource {
            reorder.execute([(.from, source), (.to, copy)])
            gradientSource = copy
        }
        WeightedPasses.backward(activation: activationBackward, weights: backwardWeights, data: backwardData, source: gradientSource,
                                diff: diff!, bias: bias)
    }
}

/// What convolutions and dense layers set up alike from their forward descriptor: the
/// weights in the layout it wants (the first training executor choosing it), the forward
/// primitive, the output registered under the node's name, and in training the output's
/// gradient and the fused activation's backward.
struct WeightedForward {
    let weights: WeightView
    let primitive: Primitive
    let output: DNNLMemory
    let diff: DNNLMemory?
    let activationBackward: FusedActivationBackward?

    init(_ c: KernelContext, weight: Parameter, forward pd: PrimitiveDescriptor, activation: Activation) throws {
        if c.training, !activation.trainable {
            throw GraphError("node '\(c.node.name)': \(activation.name) runs at inference only; cnn-inte does not train through it")
        }
        try c.executor.model.settleLayout(of: weight, wanted: pd.memory(.weights), by: c.executor)
        weights = try WeightView(weight, layout: pd.memory(.weights))
        primitive = try Primitive(pd)
        let output = try DNNLMemory(pd.memory(.destination))
        try c.executor.register(c.node.name, output: output)
        let diff = c.training ? c.executor.diffs[c.node.name]! : nil
        (self.output, self.diff) = (output, diff)
        activationBackward = try diff.flatMap { try FusedActivationBackward(activation, output: output, diff: $0, hint: pd) }
    }
}

/// The passes convolutions and dense layers share: forward with the bias when there is
/// one; backward through the fused activation, then to the weights (and bias), then to
/// the input.
enum WeightedPasses {
    static func forward(_ primitive: Primitive, source: DNNLMemory, weights: WeightView, bias: Parameter?, output: DNNLMemory) {
        var args: [(Argument, DNNLMemory)] = [(.source, source), (.weights, weights.current()), (.destination, output)]
        if let bias { args.append((.bias, bias.value)) }
        primitive.execute(args)
    }

    static func backward(activation: FusedActivationBackward?, weights: (Primitive, GradientSink)?, data: (Primitive, WeightView, DNNLMemory)?,
                         source: DNNLMemory, diff: DNNLMemory, bias: Parameter?) {
        activation?.run()
        if let (primitive, sink) = weights {
            var args: [(Argument, DNNLMemory)] = [(.source, source), (.diffDestination, diff), (.diffWeights, sink.memory)]
            if let bias { args.append((.diffBias, bias.gradient!)) }
            primitive.execute(args)
            sink.flush()
        }
        if let (primitive, view, target) = data {
            primitive.execute([(.diffDestination, diff), (.weights, view.current()), (.diffSource, target)])
        }
    }
}

/// A dense layer (`Dense`), an inner product over the whole input: forward with its
/// activation fused, backward to input, weights and bias. A feature map is first copied
/// into the graph's flatten order as a matrix: oneDNN's fastest inner products (brgemm)
/// take plain matrices, and on the blocked feature map it chose a GEMM path that took
/// 6.8 ms for fc1's three passes against 4.7 ms (batch 50, measured alone).
final class DenseKernel: Kernel {
    let forwardPrimitive: Primitive
    let source: DNNLMemory
    /// The input as a plain matrix (the feature map copied into flatten order), or the input.
    let matrix: DNNLMemory
    let flatten: Primitive?
    let output: DNNLMemory
    let weights: WeightView
    let bias: Parameter?
    var activationBackward: FusedActivationBackward?
    var backwardData: (Primitive, WeightView, DNNLMemory)?
    /// The gradient of a flattened feature map, copied back into the map's layout.
    var unflatten: (Primitive, DNNLMemory, DNNLMemory)?
    var backwardWeights: (Primitive, GradientSink)?
    var diff: DNNLMemory?

    init(_ c: KernelContext, _ op: Dense) throws {
        let weight = c.parameter("weight")
        bias = c.optionalParameter("bias")
        source = c.inputs[0]
        let sourceDims = source.descriptor.dims
        let width = sourceDims.dropFirst().reduce(1, *)
        let matrixLayout = MemoryDescriptor(dims: [c.batch, width])
        var ordered: MemoryDescriptor?
        if sourceDims.count == 4 {
            let order = c.executor.graph.flattenOrder == .channelsLast ? MemoryDescriptor.channelsLast(sourceDims) : MemoryDescriptor(dims: sourceDims)
            ordered = order
            let buffer = try DNNLMemory(order)
            matrix = try DNNLMemory(matrixLayout, handle: buffer.pointer)
            flattenBuffer = buffer
            flatten = try Primitive(try .reorder(from: source.descriptor, to: order))
        } else {
            matrix = source
            flatten = nil
        }
        let biasLayout = bias.map { MemoryDescriptor(dims: $0.spec.dims) }
        let attributes = op.activation.attributes
        let pd = try PrimitiveDescriptor.innerProductForward(c.propagation, source: matrix.descriptor, weights: .any(weight.spec.dims),
                                                             bias: biasLayout, destination: .any(c.outputDims), attributes: attributes)
        let common = try WeightedForward(c, weight: weight, forward: pd, activation: op.activation)
        (weights, forwardPrimitive, output, diff, activationBackward) = (common.weights, common.primitive, common.output, common.diff,
                                                                        common.activationBackward)
        guard let diff else { return }
        if let target = c.diffTargets[0] {
            // The input's gradient as a matrix; for a feature map, in a buffer then copied back.
            var diffMatrix = target
            if let ordered {
                let buffer = try DNNLMemory(ordered)
                diffMatrix = try DNNLMemory(matrixLayout, handle: buffer.pointer)
                unflatten = (try Primitive(try .reorder(from: ordered, to: target.descriptor)), buffer, target)
            }
            var bd = try PrimitiveDescriptor.innerProductBackwardData(diffSource: diffMatrix.descriptor, weights: weight.layout,
                                                                      diffDestination: diff.descriptor, hint: pd)
            if bd.isReference {
                bd = try .innerProductBackwardData(diffSource: diffMatrix.descriptor, weights: .any(weight.spec.dims),
                                                   diffDestination: diff.descriptor, hint: pd)
            }
            backwardData = (try Primitive(bd), try WeightView(weight, layout: bd.memory(.weights)), diffMatrix)
        }
        var bw = try PrimitiveDescriptor.innerProductBackwardWeights(source: matrix.descriptor, diffWeights: weight.layout, diffBias: biasLayout,
                                                                     diffDestination: diff.descriptor, hint: pd)
        if bw.isReference {
            bw = try .innerProductBackwardWeights(source: matrix.descriptor, diffWeights: .any(weight.spec.dims), diffBias: biasLayout,
                                                  diffDestination: diff.descriptor, hint: pd)
        }
        backwardWeights = (try Primitive(bw), try GradientSink(weight, layout: bw.memory(.diffWeights)))
        _ = try bias?.ensureGradient()
    }

    /// Keeps the flattened copy's storage alive (`matrix` only points into it).
    private var flattenBuffer: DNNLMemory?

    func forward() {
        if let flatten, let flattenBuffer { flatten.execute([(.from, source), (.to, flattenBuffer)]) }
        WeightedPasses.forward(forwardPrimitive, source: matrix, weights: weights, bias: bias, output: output)
    }

    func backward() {
        WeightedPasses.backward(activation: activationBackward, weights: backwardWeights, data: backwardData, source: matrix, diff: diff!,
                                bias: bias)
        if backwardData != nil, let (reorder, buffer, mapTarget) = unflatten { reorder.execute([(.from, buffer), (.to, mapTarget)]) }
    }
}
