import Foundation
import Numerics
import CSupport

/// A concatenation read only by a batch normalization (and the ReLU after it), computed in
/// one pass at inference: each input's channels are normalized straight into their place in
/// the output, instead of copying them there and normalizing the copy. This is DenseNet's
/// layer (`cat(features) -> bn -> relu -> conv`), where the copy and the normalization
/// each read and write the whole, growing feature map: together 14% of DenseNet-121's time.
///
/// Taken only where it is a plain strided loop: every input in the output's layout, plain
/// NCHW or blocks of 8 or 16 channels that each input's channels fill. Elsewhere the
/// concatenation and the normalization run as they are.
enum ConcatNormalization {
    /// Concatenation node -> the batch normalization that reads it, where neither value is
    /// read by anything else nor kept.
    static func candidates(graph: Graph, keep: Set<String>) -> [String: String] {
        let consumers = graph.consumers
        let kept = keep.union([graph.logitsNode.name])
        var candidates: [String: String] = [:]
        for node in graph.nodes where node.op == .concat && !kept.contains(node.name) {
            guard let readers = consumers[node.name], readers.count == 1, let reader = graph.node(readers[0]),
                  case .batchNormalization = reader.op, !kept.contains(reader.name) else { continue }
            candidates[node.name] = reader.name
        }
        return candidates
    }

    /// Channels per block of `layout` if the fused loop can read and write it, for inputs of
    /// `channels` channels each.
    static func block(of layout: MemoryDescriptor.Layout4D?, channels: [Int]) -> Int? {
        let block: Int
        switch layout {
        case .nchw?: block = 1
        case .nChw8c?: block = 8
        case .nChw16c?: block = 16
        default: return nil
        }
        return channels.allSatisfy { $0 % block == 0 } ? block : nil
    }
}

/// The fused kernel: `y = relu?(x * a + b)` per channel, with `a = scale / sqrt(variance +
/// epsilon)` and `b = shift - mean * a` from the normalization's parameters, written from
/// each input into its channels of the output.
final class ConcatNormalizationKernel: Kernel {
    let sources: [DNNLMemory]
    /// Each input's first channel in the output, and its channel count.
    let offsets: [Int], channels: [Int]
    let output: DNNLMemory
    let block: Int, batch: Int, plane: Int, totalChannels: Int
    let scale: Parameter, shift: Parameter, mean: Parameter, variance: Parameter
    let epsilon: Float
    let relu: Bool
    private var multipliers: [Float], offsetsOfValues: [Float]

    /// `c` is the normalization's context with the concatenation's inputs as its inputs;
    /// `block` from `ConcatNormalization.block`.
    init(_ c: KernelContext, _ op: BatchNormalization, block: Int, relu: Bool) throws {
        sources = c.inputs
        channels = c.inputShapes.map { $0[0] }
        var start = 0
        offsets = channels.map { count in defer { start += count }; return start }
        totalChannels = start
        (self.block, batch, plane) = (block, c.batch, c.outputShape[1] * c.outputShape[2])
        output = try DNNLMemory(MemoryDescriptor(dims: c.outputDims, layout: c.inputs[0].descriptor.layout4D!))
        (scale, shift) = (c.parameter("scale"), c.parameter("shift"))
        (mean, variance) = (c.parameter("running_mean"), c.parameter("running_var"))
        epsilon = op.epsilon
        self.relu = relu
        multipliers = Array(repeating: 0, count: totalChannels)
        offsetsOfValues = multipliers
        try c.executor.register(c.node.name, output: output)
    }

    func forward() {
        // The parameters may have changed since the last pass (C values: cheap).
        let (s, t, m, v) = (scale.value.floats, shift.value.floats, mean.value.floats, variance.value.floats)
        for i in 0..<totalChannels {
            multipliers[i] = s[i] / (v[i] + epsilon).squareRoot()
            offsetsOfValues[i] = t[i] - m[i] * multipliers[i]
        }
        // One piece of work per image and block of channels: `block * plane` values.
        let blocks = totalChannels / block
        let destination = output.floats
        let (sources, offsets, channels, block, plane, relu) = (self.sources, self.offsets, self.channels, self.block, self.plane, self.relu)
        multipliers.withUnsafeBufferPointer { a in
            offsetsOfValues.withUnsafeBufferPointer { b in
                Parallel.forRanges(batch * blocks, grain: max(1, 4096 / (block * plane))) { range in
                    for item in range {
                        let (image, outputBlock) = item.quotientAndRemainder(dividingBy: blocks)
                        let firstChannel = outputBlock * block
                        // The input holding these channels (inputs' channels fill whole blocks).
                        var part = 0
                        while offsets[part] + channels[part] <= firstChannel { part += 1 }
                        let inputBlock = (firstChannel - offsets[part]) / block
                        let from = sources[part].floats + (image * channels[part] + inputBlock * block) * plane
                        let to = destination + (image * blocks + outputBlock) * block * plane
                        cnninte_channel_affine(from, to, plane, Int32(block), a.baseAddress! + firstChannel,
                                               b.baseAddress! + firstChannel, relu ? 1 : 0)
                    }
                }
            }
        }
    }

    func backward() { preconditionFailure("fused concatenations run at inference only") }
}
