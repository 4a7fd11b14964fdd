import Numerics

/// Residual connections fused into the convolution before them, at inference: `add(conv(x),
/// y)` and the activation after it become one convolution whose destination already holds
/// `y` (oneDNN's sum post-op) with the activation as a further post-op. That saves two
/// passes over the block's output (the sum and the ReLU: 7% of a ResNet-50's time).
///
/// Only values nobody reads are fused away: the convolution's own output (read only by the
/// addition) and the addition's (read only by the activation), none of them a layer the
/// executor keeps. When `y` is read by nothing after the addition either, the convolution
/// adds into `y`'s own memory; otherwise `y` is copied into the destination first.
struct ResidualFusion {
    struct Plan {
        /// The convolution node, deferred to the addition's place.
        var convolution: String
        /// The other input of the addition.
        var residual: String
        /// The activation node absorbed, if any.
        var activation: String?
    }

    /// Addition node -> its plan.
    var plans: [String: Plan] = [:]
    /// Convolutions deferred into an addition, and activations absorbed: node -> addition.
    var absorbed: [String: String] = [:]
    /// Where each node's computation runs in the order: its own place, or its addition's.
    var position: [String: Int] = [:]
    let keep: Set<String>
    let consumers: [String: [String]]

    init(graph: Graph, keep: Set<String>) {
        consumers = graph.consumers
        self.keep = keep.union([graph.logitsNode.name])
        for (index, node) in graph.nodes.enumerated() { position[node.name] = index }
        for node in graph.nodes where node.op == .add && node.inputs.count == 2 && !self.keep.contains(node.name) {
            // A convolution with no activation of its own, read only by this addition (the
            // later of two such).
            let options = node.inputs.enumerated().compactMap { index, name -> Plan? in
                guard let producer = graph.node(name), case let .convolution(c) = producer.op, c.activation == .none,
                      consumers[name] == [node.name], !self.keep.contains(name), absorbed[name] == nil else { return nil }
                let residual = node.inputs[1 - index]
                guard residual != name, residual != Graph.inputName else { return nil }
                return Plan(convolution: name, residual: residual, activation: nil)
            }
            guard var plan = options.max(by: { position[$0.convolution]! < position[$1.convolution]! }) else { continue }
            if let after = consumers[node.name], after.count == 1, let next = graph.node(after[0]),
               case let .activation(function) = next.op, function.eltwises?.isEmpty == false {
                plan.activation = next.name
            }
            plans[node.name] = plan
            absorbed[plan.convolution] = node.name
            if let activation = plan.activation { absorbed[activation] = node.name }
            position[plan.convolution] = position[node.name]
        }
    }

    /// Whether the addition `node` may write into the memory of its residual: no value
    /// sharing that memory (`sharing`) is kept or read by a node that runs after it.
    func mayWriteInPlace(_ node: String, sharing: [String]) -> Bool {
        let here = position[node]!
        return sharing.allSatisfy { name in
            !keep.contains(name) && (consumers[name] ?? []).allSatisfy { $0 == node || position[$0]! < here }
        }
    }
}

/// The fused kernel of a `ResidualFusion.Plan`: the residual copied into the destination
/// (unless the convolution writes into its memory), then the convolution adding to it.
final class ResidualConvolutionKernel: Kernel {
    let convolution: Primitive
    let source: DNNLMemory
    let sourceReorder: Step?
    let weights: WeightView
    let bias: Parameter?
    let output: DNNLMemory
    let residualCopy: Step?

    /// `c` is the convolution's context (its node and inputs); `residual` the addition's
    /// other input; `activation` the absorbed activation's function.
    init(_ c: KernelContext, _ op: Convolution, residual: DNNLMemory, activation: Activation, inPlace: Bool) throws {
        let padding = try c.executor.graph.resolvedPadding(c.node, shapes: c.executor.shapes)
        let weight = c.parameter("weight")
        bias = c.optionalParameter("bias")
        let biasLayout = bias.map { MemoryDescriptor(dims: $0.spec.dims) }
        let attributes = Attributes(postSum: true, postEltwises: activation.eltwises ?? [])
        let make = { (source: MemoryDescriptor, destination: MemoryDescriptor) in
            try PrimitiveDescriptor.convolutionForward(
                .inference, source: source, weights: .any(weight.spec.dims), bias: biasLayout, destination: destination,
                strides: op.stride, dilation: op.dilation, paddingBegin: padding.begin, paddingEnd: padding.end, attributes: attributes)
        }
        // In place only where a fast kernel writes the residual's layout.
        var layouts = try ConvolutionLayouts(source: c.inputs[0].descriptor, outputDims: c.outputDims, groups: op.groups, inference: true) { source, _ in
            try make(source, residual.descriptor)
        }
        let writesResidual = inPlace && ConvolutionLayouts.cost(layouts.descriptor.implementation, groups: op.groups, inference: true) == 0
        if !writesResidual {
            layouts = try ConvolutionLayouts(source: c.inputs[0].descriptor, outputDims: c.outputDims, groups: op.groups, inference: true, make: make)
        }
        let pd = layouts.descriptor
        (source, sourceReorder) = try Step.copy(c.inputs[0], into: layouts.sourceLayout)
        weights = try WeightView(weight, layout: pd.memory(.weights))
        convolution = try Primitive(pd)
        if writesResidual {
            output = residual
            residualCopy = nil
        } else {
            output = try DNNLMemory(pd.memory(.destination))
            residualCopy = try Step.reorder(residual, output)
        }
    }

    func forward() {
        residualCopy?.run()
        sourceReorder?.run()
        WeightedPasses.forward(convolution, source: source, weights: weights, bias: bias, output: output)
    }

    func backward() { preconditionFailure("fused residual convolutions run at inference only") }
}

/// A node whose value another kernel computes (an activation fused into a residual
/// convolution): its place in the order, so a pass can stop after it.
final class AbsorbedKernel: Kernel {
    func forward() {}
    func backward() {}
}
