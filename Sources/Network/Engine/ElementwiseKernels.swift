import Foundation
import Numerics

/// Batch normalization (`BatchNormalization`). Training normalizes by the batch's mean and
/// variance and moves the running statistics towards them; inference uses the running
/// statistics. A learned scale and shift follow.
final class BatchNormalizationKernel: Kernel {
    let forwardPrimitive: Primitive
    let source: DNNLMemory
    let output: DNNLMemory
    let scale: Parameter, shift: Parameter, runningMean: Parameter, runningVariance: Parameter
    let momentum: Float
    // Training: the batch's statistics, and the backward.
    var mean: DNNLMemory?
    var variance: DNNLMemory?
    var backwardPrimitive: (Primitive, DNNLMemory, DNNLMemory)?

    /// `relu`: the ReLU after it computed in the same pass (inference; `NormalizationFusion`).
    init(_ c: KernelContext, _ op: BatchNormalization, relu: Bool = false) throws {
        source = c.inputs[0]
        (scale, shift) = (c.parameter("scale"), c.parameter("shift"))
        (runningMean, runningVariance) = (c.parameter("running_mean"), c.parameter("running_var"))
        momentum = op.momentum
        let pd = try PrimitiveDescriptor.batchNormalizationForward(c.propagation, data: source.descriptor, epsilon: op.epsilon,
                                                                   globalStatistics: !c.training, relu: relu)
        forwardPrimitive = try Primitive(pd)
        output = try DNNLMemory(pd.memory(.destination))
        try c.executor.register(c.node.name, output: output)
        guard c.training else { return }
        let statistics = MemoryDescriptor(dims: [c.inputShapes[0][0]])
        mean = try DNNLMemory(statistics)
        variance = try DNNLMemory(statistics)
        _ = try scale.ensureGradient()
        _ = try shift.ensureGradient()
        let diff = c.executor.diffs[c.node.name]!
        // Computed even when the input needs no gradient: the scale's and shift's come with it.
        let target = try c.diffTargets[0] ?? DNNLMemory(source.descriptor)
        let bd = try PrimitiveDescriptor.batchNormalizationBackward(diffData: diff.descriptor, data: source.descriptor,
                                                                    epsilon: op.epsilon, hint: pd)
        backwardPrimitive = (try Primitive(bd), diff, target)
    }

    func forward() {
        if let mean, let variance {
            forwardPrimitive.execute([(.source, source), (.scale, scale.value), (.shift, shift.value), (.destination, output),
                                      (.mean, mean), (.variance, variance)])
            // running = momentum * running + (1 - momentum) * batch, per channel.
            let (m, v, rm, rv) = (mean.floats, variance.floats, runningMean.value.floats, runningVariance.value.floats)
            for i in 0..<runningMean.spec.count {
                rm[i] = momentum * rm[i] + (1 - momentum) * m[i]
                rv[i] = momentum * rv[i] + (1 - momentum) * v[i]
            }
            runningMean.touched()
            runningVariance.touched()
        } else {
            forwardPrimitive.execute([(.source, source), (.scale, scale.value), (.shift, shift.value), (.destination, output),
                                      (.mean, runningMean.value), (.variance, runningVariance.value)])
        }
    }

    func backward() {
        guard let (primitive, diff, target) = backwardPrimitive, let mean, let variance else { return }
        primitive.execute([(.source, source), (.mean, mean), (.variance, variance), (.diffDestination, diff), (.scale, scale.value),
                           (.shift, shift.value), (.diffSource, target), (.diffScale, scale.gradient!), (.diffShift, shift.gradient!)])
    }
}

/// An activation node (`Activation`). Its backward reads the node's output where the
/// function allows (ReLU, clip, sigmoid, tanh), else its input.
final class ActivationKernel: Kernel {
    let forwardPrimitive: Primitive?
    /// Inference: the further functions of a chain (hard sigmoid is linear then clip),
    /// applied in place on the output; or the function computed here (`erf`).
    var chain: [Primitive] = []
    var computed: ((Float) -> Float)?
    /// The input reordered into a plain copy first, where its own layout had no fast kernel.
    var alignment: (Primitive, DNNLMemory)?
    let source: DNNLMemory
    let output: DNNLMemory
    var backwardPrimitive: (Primitive, DNNLMemory, DNNLMemory, DNNLMemory, Bool)?

    init(_ c: KernelContext, _ activation: Activation) throws {
        source = c.inputs[0]
        if c.training, !activation.trainable {
            throw GraphError("node '\(c.node.name)': \(activation.name) runs at inference only; cnn-inte does not train through it")
        }
        if !c.training, !activation.trainable {
            // Inference-only functions: a chain of oneDNN's, or computed element by element.
            guard let eltwises = activation.eltwises, !eltwises.isEmpty else {
                output = try DNNLMemory(source.descriptor)
                try c.executor.register(c.node.name, output: output)
                forwardPrimitive = nil
                computed = { erff($0) }
                return
            }
            // oneDNN keeps the padding of a blocked layout zero only for functions with
            // f(0) = 0; for the others (exp, softplus, a shifted linear) it has only its
            // reference code there: those run on a plain copy.
            func make(_ layout: MemoryDescriptor) throws -> [PrimitiveDescriptor] {
                try eltwises.map { try .eltwiseForward(.inference, $0, data: layout, useDestinationForBackward: false) }
            }
            var descriptors = try make(source.descriptor)
            if descriptors.contains(where: \.isReference) {
                let plain = MemoryDescriptor(dims: source.descriptor.dims)
                descriptors = try make(plain)
                let copy = try DNNLMemory(plain)
                alignment = (try Primitive(try .reorder(from: source.descriptor, to: plain)), copy)
            }
            output = try DNNLMemory(descriptors[0].memory(.destination))
            try c.executor.register(c.node.name, output: output)
            forwardPrimitive = try Primitive(descriptors[0])
            chain = try descriptors.dropFirst().map { try Primitive($0) }
            return
        }
        guard let eltwise = activation.eltwise else {
            // `none`: the input as it is.
            forwardPrimitive = nil
            output = source
            try c.executor.register(c.node.name, output: output)
            if c.training, let target = c.diffTargets[0] {
                let diff = c.executor.diffs[c.node.name]!
                backwardPrimitive = (try Primitive(try .reorder(from: diff.descriptor, to: target.descriptor)), diff, target, diff, false)
            }
            return
        }
        let fromDestination = c.training && eltwise.backwardFromDestination
        let pd = try PrimitiveDescriptor.eltwiseForward(c.propagation, eltwise, data: source.descriptor,
                                                        useDestinationForBackward: fromDestination)
        forwardPrimitive = try Primitive(pd)
        output = try DNNLMemory(pd.memory(.destination))
        try c.executor.register(c.node.name, output: output)
        guard c.training, let target = c.diffTargets[0] else { return }
        let diff = c.executor.diffs[c.node.name]!
        let data = fromDestination ? output : source
        let bd = try PrimitiveDescriptor.eltwiseBackward(eltwise, diffData: diff.descriptor, data: data.descriptor,
                                                         useDestination: fromDestination, hint: pd)
        backwardPrimitive = (try Primitive(bd), diff, target, data, true)
    }

    func forward() {
        if let computed {
            // Element by element over the whole buffer: padding stays 0 (f(0) = 0 for erf).
            let (from, to) = (source.floats, output.floats)
            Parallel.forRanges(output.floatCount, grain: 1 << 14) { range in for i in range { to[i] = computed(from[i]) } }
            return
        }
        var from = source
        if let (reorder, copy) = alignment {
            reorder.execute([(.from, source), (.to, copy)])
            from = copy
        }
        forwardPrimitive?.execute([(.source, from), (.destination, output)])
        for step in chain { step.execute([(.source, output), (.destination, output)]) }
    }

    func backward() {
        guard let (primitive, diff, target, data, eltwise) = backwardPrimitive else { return }
        if !eltwise { primitive.execute([(.from, diff), (.to, target)]); return }
        let dataArgument: Argument = data === output ? .destination : .source
        primitive.execute([(dataArgument, data), (.diffDestination, diff), (.diffSource, target)])
    }
}

/// Inverted dropout (`dropout(rate)`): while training each value is kept with probability
/// `1 - rate` and scaled by `1 / (1 - rate)`; at inference the input passes through. The
/// mask comes from the model's seeded generator, drawn in order, so a run is reproducible.
final class DropoutKernel: Kernel {
    let source: DNNLMemory
    let output: DNNLMemory
    let rate: Float
    let mask: UnsafeMutablePointer<Float>?
    let count: Int
    unowned let model: Model
    let layer: Int
    var backwardTarget: (DNNLMemory, DNNLMemory)?

    init(_ c: KernelContext, rate: Float) throws {
        source = c.inputs[0]
        self.rate = rate
        model = c.executor.model
        layer = c.executor.graph.nodes.firstIndex { $0.name == c.node.name }!
        count = source.floatCount
        guard c.training, rate > 0 else {
            output = source
            mask = nil
            try c.executor.register(c.node.name, output: output)
            if c.training, let target = c.diffTargets[0] {
                let diff = c.executor.diffs[c.node.name]!
                backwardTarget = (diff, target)
            }
            return
        }
        output = try DNNLMemory(source.descriptor)
        mask = .allocate(capacity: count)
        try c.executor.register(c.node.name, output: output)
        if let target = c.diffTargets[0] { backwardTarget = (c.executor.diffs[c.node.name]!, target) }
    }

    deinit { mask?.deallocate() }

    func forward() {
        guard let mask else { return }
        let keep = 1 - rate, scale = 1 / (1 - rate)
        model.withDropoutGenerator(layer) { rng in
            for i in 0..<count { mask[i] = Float(rng.nextUnit()) < keep ? scale : 0 }
        }
        let (x, y) = (UnsafePointer(source.floats), output.floats)
        Parallel.forRanges(count, grain: 1 << 15) { range in
            for i in range { y[i] = x[i] * mask[i] }
        }
    }

    func backward() {
        guard let (diff, target) = backwardTarget else { return }
        let (g, t) = (UnsafePointer(diff.floats), target.floats)
        if let mask {
            Parallel.forRanges(count, grain: 1 << 15) { range in
                for i in range { t[i] = g[i] * mask[i] }
            }
        } else if g != UnsafePointer(t) {
            t.update(from: g, count: count)
        }
    }
}

/// A softmax ending an imported graph: the engine gives its input (the logits) and the
/// probabilities are computed from them, so it passes its input through.
final class PassThroughKernel: Kernel {
    init(_ c: KernelContext) throws {
        guard !c.training else { throw GraphError("node '\(c.node.name)': a softmax inside the network cannot be trained") }
        try c.executor.register(c.node.name, output: c.inputs[0])
    }
    func forward() {}
    func backward() {}
}
