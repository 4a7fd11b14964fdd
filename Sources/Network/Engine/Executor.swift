import Foundation
import Numerics

/// A graph compiled for one batch size and one mode: every node's oneDNN primitives, the
/// memories between them (in the layouts the primitives chose), and for training the
/// backward primitives and the gradient of every node's output. Built once, run for
/// every batch of that size: nothing is allocated while it runs.
///
/// Layouts: what a primitive produces is left in the layout it chose; the next primitive
/// takes it as it is. Conversions happen only where a tensor leaves the engine (logits,
/// features) or where a weight's layout differs from the one a primitive wants (a view,
/// refreshed when the weight changes).
final class Executor {
    enum Mode { case inference, training }

    let graph: Graph
    let mode: Mode
    let batch: Int
    /// The nodes whose values stay readable after a pass (with the logits), at inference.
    let keep: Set<String>
    let shapes: [String: [Int]]
    /// Images in, NCHW plain: oneDNN 2.6 has no fast training convolution on channels-last
    /// input (it fell back to its reference code, 200 times slower), and with blocked
    /// layouts chosen from an NCHW input every primitive has one.
    let input: DNNLMemory
    private(set) var outputs: [String: DNNLMemory] = [:]
    /// Training: the gradient of the loss with respect to each node's output.
    private(set) var diffs: [String: DNNLMemory] = [:]
    private(set) var kernels: [(String, Kernel)] = []
    /// Nodes whose output feeds several others: each consumer writes its part of the
    /// gradient in its own buffer, summed before the node's backward.
    private var edges: [String: [DNNLMemory]] = [:]
    private var sums: [String: Primitive] = [:]
    private let consumers: [String: [String]]
    /// The model owns its executors (unowned: no cycle).
    unowned let model: Model

    /// `keep`: at inference, the nodes whose values are read after a pass (besides the
    /// logits); the others may be fused away (`ResidualFusion`).
    init(model: Model, mode: Mode, batch: Int, keep: Set<String> = []) throws {
        self.model = model
        self.keep = keep
        graph = model.graph
        self.mode = mode
        self.batch = batch
        shapes = try graph.shapes()
        consumers = graph.consumers
        let i = graph.input
        input = try DNNLMemory(MemoryDescriptor(dims: [batch, i.channels, i.height, i.width]))
        outputs[Graph.inputName] = input
        let fusion = mode == .inference ? ResidualFusion(graph: graph, keep: keep) : nil
        let normalizationReLU = fusion.map { NormalizationFusion.plans(graph: graph, keep: keep, absorbedElsewhere: Set($0.absorbed.keys)) } ?? [:]
        let reluOwners = Dictionary(uniqueKeysWithValues: normalizationReLU.map { ($0.value, $0.key) })
        let concatNormalizations = fusion.map { _ in ConcatNormalization.candidates(graph: graph, keep: keep) } ?? [:]
        var fusedIntoConcat: Set<String> = []
        for node in graph.nodes {
            if let normalization = concatNormalizations[node.name], try fuseConcat(node, into: normalization, relu: normalizationReLU[normalization] != nil) {
                // The normalization's value, computed here from the concatenation's inputs.
                fusedIntoConcat.insert(normalization)
                continue
            }
            if fusedIntoConcat.contains(node.name) {
                kernels.append((node.name, AbsorbedKernel()))
                continue
            }
            if let normalization = reluOwners[node.name] {
                // Computed by the batch normalization before it.
                outputs[node.name] = outputs[normalization]
                kernels.append((node.name, AbsorbedKernel()))
                continue
            }
            if let fusion, let addition = fusion.absorbed[node.name] {
                // A convolution runs at its addition's place; an activation is computed there.
                if fusion.plans[addition]?.activation == node.name {
                    outputs[node.name] = outputs[addition]
                    kernels.append((node.name, AbsorbedKernel()))
                }
                continue
            }
            if let fusion, let plan = fusion.plans[node.name] {
                kernels.append((node.name, try residualKernel(node, plan, fusion)))
                continue
            }
            let targets: [DNNLMemory?] = try node.inputs.map { name in
                guard mode == .training, name != Graph.inputName else { return nil }
                return try diffTarget(of: name)
            }
            let context = KernelContext(executor: self, node: node, inputs: node.inputs.map { outputs[$0]! },
                                        inputShapes: node.inputs.map { shapes[$0]! }, outputShape: shapes[node.name]!,
                                        diffTargets: targets)
            let kernel: Kernel
            if normalizationReLU[node.name] != nil, case let .batchNormalization(op) = node.op {
                kernel = try BatchNormalizationKernel(context, op, relu: true)
            } else {
                kernel = try makeKernel(context)
            }
            guard outputs[node.name] != nil else { preconditionFailure("kernel of \(node.name) made no output") }
            kernels.append((node.name, kernel))
        }
        for (name, parts) in edges where parts.count > 1 {
            let target = diffs[name]!
            sums[name] = try Primitive(try .sum(destination: target.descriptor, scales: parts.map { _ in 1 },
                                                sources: parts.map(\.descriptor)))
        }
    }

    var training: Bool { mode == .training }

    /// The kernel of an addition fused with the convolution before it (and the activation
    /// after it): in place when no value sharing the residual's memory is read later.
    private func residualKernel(_ addition: Node, _ plan: ResidualFusion.Plan, _ fusion: ResidualFusion) throws -> Kernel {
        let convolution = graph.node(plan.convolution)!
        guard case let .convolution(op) = convolution.op else { preconditionFailure("fused a non-convolution") }
        var activation = Activation.none
        if let name = plan.activation, case let .activation(function)? = graph.node(name)?.op { activation = function }
        let residual = outputs[plan.residual]!
        let sharing = outputs.filter { $0.value === residual }.map(\.key)
        let context = KernelContext(executor: self, node: convolution, inputs: convolution.inputs.map { outputs[$0]! },
                                    inputShapes: convolution.inputs.map { shapes[$0]! }, outputShape: shapes[convolution.name]!,
                                    diffTargets: [nil])
        let inPlace = fusion.mayWriteInPlace(addition.name, sharing: sharing)
        if GemmConvolution.suits(op, outputShape: context.outputShape, node: convolution.name,
                                 fused: [addition.name] + (plan.activation.map { [$0] } ?? []), in: graph),
           activation.eltwises != nil {
            let kernel = try GemmConvolutionKernel(context, op, residual: residual, activation: activation, inPlace: inPlace)
            outputs[addition.name] = kernel.output
            return kernel
        }
        let kernel = try ResidualConvolutionKernel(context, op, residual: residual, activation: activation, inPlace: inPlace)
        outputs[addition.name] = kernel.output
        return kernel
    }

    /// The kernel of a concatenation and the normalization reading it, at the
    /// concatenation's place, if its inputs' layouts allow (`ConcatNormalization`).
    private func fuseConcat(_ concat: Node, into normalizationName: String, relu: Bool) throws -> Bool {
        let inputs = concat.inputs.map { outputs[$0]! }, inputShapes = concat.inputs.map { shapes[$0]! }
        let layout = inputs[0].descriptor.layout4D
        guard let normalization = graph.node(normalizationName), case let .batchNormalization(op) = normalization.op,
              inputs.allSatisfy({ $0.descriptor.layout4D == layout }),
              let block = ConcatNormalization.block(of: layout, channels: inputShapes.map { $0[0] }) else { return false }
        let context = KernelContext(executor: self, node: normalization, inputs: inputs, inputShapes: inputShapes,
                                    outputShape: shapes[normalizationName]!, diffTargets: [])
        kernels.append((concat.name, try ConcatNormalizationKernel(context, op, block: block, relu: relu)))
        return true
    }

    /// Records a node's output (and, training, makes its gradient's memory).
    func register(_ name: String, output: DNNLMemory) throws {
        outputs[name] = output
        if training { diffs[name] = try DNNLMemory(output.descriptor) }
    }

    /// Where a consumer writes its part of `name`'s gradient.
    private func diffTarget(of name: String) throws -> DNNLMemory {
        if consumers[name, default: []].count <= 1 { return diffs[name]! }
        let part = try DNNLMemory(outputs[name]!.descriptor)
        edges[name, default: []].append(part)
        return part
    }

    /// Runs the nodes in order, to the end or through node `last`.
    func forward(through last: String? = nil) {
        for (name, kernel) in kernels {
            kernel.forward()
            if name == last { break }
        }
    }

    /// Backpropagates from the gradient written into the logits' diff.
    func backward() {
        for (name, kernel) in kernels.reversed() {
            if let sum = sums[name] {
                var args: [(Argument, DNNLMemory)] = [(.destination, diffs[name]!)]
                for (i, part) in edges[name]!.enumerated() { args.append((.multipleSource(i), part)) }
                sum.execute(args)
            }
            kernel.backward()
        }
    }

    /// The logits node's name.
    var logitsName: String { graph.logitsNode.name }

    // MARK: - What leaves the engine

    private var readouts: [String: (Primitive, DNNLMemory)] = [:]

    /// Copies node `name`'s output, one row per image in the graph's flatten order, to
    /// `target` (the first `rows` images, default `batch`, of the node's width).
    func read(_ name: String, into target: UnsafeMutablePointer<Float>, rows: Int? = nil) throws {
        let source = outputs[name]!
        let dims = source.descriptor.dims
        let count = (rows ?? batch) * dims.dropFirst().reduce(1, *)
        let plain = dims.count == 4 && graph.flattenOrder == .channelsLast ? MemoryDescriptor.channelsLast(dims) : MemoryDescriptor(dims: dims)
        if source.descriptor == plain {
            target.update(from: source.floats, count: count)
            return
        }
        if readouts[name] == nil {
            readouts[name] = (try Primitive(try .reorder(from: source.descriptor, to: plain)), try DNNLMemory(plain))
        }
        let (reorder, memory) = readouts[name]!
        reorder.execute([(.from, source), (.to, memory)])
        target.update(from: memory.floats, count: count)
    }

    /// The logits, `batch` rows of the class count, row-major.
    func logits() throws -> UnsafePointer<Float> {
        let source = outputs[logitsName]!
        if source.descriptor.isRowMajor { return UnsafePointer(source.floats) }
        if readouts[logitsName] == nil {
            let plain = MemoryDescriptor(dims: source.descriptor.dims)
            readouts[logitsName] = (try Primitive(try .reorder(from: source.descriptor, to: plain)), try DNNLMemory(plain))
        }
        let (reorder, memory) = readouts[logitsName]!
        reorder.execute([(.from, source), (.to, memory)])
        return UnsafePointer(memory.floats)
    }

    /// Training: `body` writes the loss's gradient with respect to the logits (row-major)
    /// where the backward pass reads it.
    func setLogitsGradient(_ body: (UnsafeMutablePointer<Float>) -> Void) throws {
        let diff = diffs[logitsName]!
        precondition(diff.descriptor.isRowMajor, "the logits are not row-major")
        body(diff.floats)
    }
}

/// What a node's kernel is built from.
struct KernelContext {
    unowned let executor: Executor
    let node: Node
    /// The outputs of the node's inputs, in their layouts.
    let inputs: [DNNLMemory]
    let inputShapes: [[Int]]
    let outputShape: [Int]
    /// Training: where to write the gradient with respect to each input (nil: none needed).
    let diffTargets: [DNNLMemory?]

    var training: Bool { executor.training }
    var batch: Int { executor.batch }
    var propagation: Propagation { training ? .training : .inference }
    /// `[N] + shape`, the dims of a batch of this node's output.
    var outputDims: [Int] { [batch] + outputShape }

    func parameter(_ suffix: String) -> Parameter { executor.model.parameter(node.name + "." + suffix)! }
    func optionalParameter(_ suffix: String) -> Parameter? { executor.model.parameter(node.name + "." + suffix) }
}

/// One node's forward and backward computation.
protocol Kernel: AnyObject {
    func forward()
    /// Reads the node's output gradient; writes its inputs' (into their diff targets)
    /// and its parameters' gradients.
    func backward()
}

extension Executor {
    func makeKernel(_ c: KernelContext) throws -> Kernel {
        switch c.node.op {
        case let .convolution(op):
            if !c.training, GemmConvolution.suits(op, outputShape: c.outputShape, node: c.node.name, in: graph) {
                return try GemmConvolutionKernel(c, op, activation: op.activation)
            }
            return try ConvolutionKernel(c, op)
        case let .dense(op): return try DenseKernel(c, op)
        case let .pooling(op): return try PoolingKernel(c, op)
        case .globalAveragePooling: return try GlobalPoolingKernel(c)
        case let .batchNormalization(op): return try BatchNormalizationKernel(c, op)
        case let .activation(op): return try ActivationKernel(c, op)
        case let .dropout(rate): return try DropoutKernel(c, rate: rate)
        case .add: return try AddKernel(c)
        case .concat: return try ConcatKernel(c)
        case .flatten: return try FlattenKernel(c)
        case .softmax:
            // The last node's softmax is the model's probabilities, computed from the logits
            // outside the engine; asked for by name (`features --layer`), it is computed here.
            return c.node.name == graph.nodes.last?.name && !keep.contains(c.node.name) ? try PassThroughKernel(c) : try SoftmaxKernel(c)
        case let .binary(op): return try BinaryKernel(c, op)
        case let .channels(start, end): return try ChannelWindowKernel(c, start: start, end: end)
        case let .resize(op): return try ResizeKernel(c, op)
        case let .pad(op): return try PadKernel(c, op)
        case let .layerNormalization(epsilon): return try LayerNormalizationKernel(c, epsilon: epsilon)
        case let .channelReduction(op): return try ChannelReductionKernel(c, op)
        case let .channelShuffle(groups): return try ChannelShuffleKernel(c, groups: groups)
        case let .adaptiveAveragePooling(op): return try AdaptivePoolingKernel(c, op)
        }
    }
}

/// A weight as a primitive wants it: the parameter's memory itself when the layouts
/// agree, else a copy in the wanted layout, refreshed when the parameter changes.
final class WeightView {
    let parameter: Parameter
    let memory: DNNLMemory
    private let reorder: Primitive?
    /// A first step through a plain layout, where oneDNN has no reorder straight from the
    /// parameter's layout to the wanted one (2.6 fills Winograd's weight format only from
    /// a plain layout, not from the blocked one training leaves).
    private let throughPlain: (Primitive, DNNLMemory)?
    private var seen = -1

    init(_ parameter: Parameter, layout: MemoryDescriptor) throws {
        self.parameter = parameter
        if layout == parameter.layout {
            memory = parameter.value
            (reorder, throughPlain) = (nil, nil)
        } else if let direct = try? Primitive(try .reorder(from: parameter.layout, to: layout)) {
            memory = try DNNLMemory(layout)
            (reorder, throughPlain) = (direct, nil)
        } else {
            let plain = MemoryDescriptor(dims: parameter.layout.dims)
            memory = try DNNLMemory(layout)
            throughPlain = (try Primitive(try .reorder(from: parameter.layout, to: plain)), try DNNLMemory(plain))
            reorder = try Primitive(try .reorder(from: plain, to: layout))
        }
    }

    /// The weight in the wanted layout, copied again if the parameter changed.
    func current() -> DNNLMemory {
        if let reorder, seen != parameter.version {
            if let (first, plain) = throughPlain {
                first.execute([(.from, parameter.value), (.to, plain)])
                reorder.execute([(.from, plain), (.to, memory)])
            } else {
                reorder.execute([(.from, parameter.value), (.to, memory)])
            }
            seen = parameter.version
        }
        return memory
    }
}

/// A gradient as a primitive writes it: into the parameter's gradient when the layouts
/// agree, else into a buffer copied over after.
final class GradientSink {
    let target: DNNLMemory
    let memory: DNNLMemory
    private let reorder: Primitive?

    init(_ parameter: Parameter, layout: MemoryDescriptor) throws {
        target = try parameter.ensureGradient()
        if layout == target.descriptor {
            memory = target
            reorder = nil
        } else {
            memory = try DNNLMemory(layout)
            reorder = try Primitive(try .reorder(from: layout, to: target.descriptor))
        }
    }

    /// After the primitive wrote `memory`: the gradient in the parameter's layout.
    func flush() { reorder?.execute([(.from, memory), (.to, target)]) }
}

extension Executor {
    /// oneDNN's name for the implementation of every primitive the kernels hold, for
    /// diagnostics and tests ("jit:avx512_core", ...; "ref:any" is its slow fallback).
    var implementations: [String] { kernelImplementations.flatMap(\.1) }

    /// The same, node by node.
    var kernelImplementations: [(String, [String])] {
        var seen = Set<ObjectIdentifier>()
        func collect(_ value: Any, depth: Int, into names: inout [String]) {
            if let primitive = value as? Primitive {
                if seen.insert(ObjectIdentifier(primitive)).inserted { names.append(primitive.descriptor.implementation) }
                return
            }
            // Only kernels' own fields and their tuples and optionals: never a buffer's elements.
            guard depth < 4, !(value is [Float]) else { return }
            for child in Mirror(reflecting: value).children { collect(child.value, depth: depth + 1, into: &names) }
        }
        return kernels.map { name, kernel in
            var names: [String] = []
            collect(kernel, depth: 0, into: &names)
            return (name, names)
        }
    }
}
