import Numerics

/// The layouts a convolution's forward primitive is made with, chosen so that oneDNN uses
/// a fast kernel for it.
///
/// The engine leaves each feature map in the layout its producer chose, and a convolution
/// is first asked to take it as it is, its output in a layout of its choosing. oneDNN 2.6
/// has layouts it cannot do that for, and then falls back to a slow implementation:
/// - a depthwise convolution's kernel wants its output in the layout of its input, and on
///   AVX-512 it chooses NHWC for an output left to it, so a blocked input (what the 1x1
///   convolution before it gave) finds no depthwise kernel; a grouped convolution on
///   plain NCHW runs as one GEMM per group (8x slower, `gemm:jit`);
/// - a 3-channel convolution on a blocked input (what a separate normalisation node gave
///   the first layer) has only the reference kernel (`ref:any`, 95x slower).
/// So a slow choice is asked again with the output in the input's layout, then with both
/// layouts left to oneDNN (the input is then reordered into the layout it picks: one
/// copy, against a kernel many times slower).
struct ConvolutionLayouts {
    let descriptor: PrimitiveDescriptor
    /// The layout the input is reordered into first, when it is not the producer's.
    let sourceLayout: MemoryDescriptor?

    /// Whether oneDNN's choice `implementation` is a slow one for a convolution of `groups`.
    static func isSlow(_ implementation: String, groups: Int) -> Bool { cost(implementation, groups: groups) > 0 }

    /// 0 for a fast kernel, 1 for a grouped convolution as one GEMM per group (slow, but
    /// the only kernel for groups of a few channels) and, at `inference`, for any of
    /// oneDNN's GEMM-based convolutions (on plain layouts they ran 3-5 times slower than
    /// its direct kernels on blocked ones: SqueezeNet at 0.2x onnxruntime), 2 for the
    /// reference code. (Training keeps its choices: the same seed, the same model.)
    static func cost(_ implementation: String, groups: Int, inference: Bool = false) -> Int {
        if PrimitiveDescriptor.isReference(implementation) { return 2 }
        return (groups > 1 || inference) && implementation.contains("gemm") ? 1 : 0
    }

    /// `make(source, destination)` describes the convolution with those layouts (it may
    /// throw for a combination oneDNN does not implement at all).
    init(source: MemoryDescriptor, outputDims: [Int], groups: Int, inference: Bool = false,
         make: (MemoryDescriptor, MemoryDescriptor) throws -> PrimitiveDescriptor) throws {
        var candidates: [(MemoryDescriptor, MemoryDescriptor)] = [(source, .any(outputDims))]
        if let layout = source.layout4D { candidates.append((source, MemoryDescriptor(dims: outputDims, layout: layout))) }
        candidates.append((.any(source.dims), .any(outputDims)))
        descriptor = try Self.firstFast(candidates, groups: groups, inference: inference, make: make)
        let chosen = descriptor.memory(.source)
        sourceLayout = chosen == source ? nil : chosen
    }

    /// The descriptor of the first candidate pair of layouts with a fast kernel; if none
    /// has one, of the first with the least slow (the engine reports reference kernels).
    static func firstFast(_ candidates: [(MemoryDescriptor, MemoryDescriptor)], groups: Int, inference: Bool = false,
                          make: (MemoryDescriptor, MemoryDescriptor) throws -> PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var best: (pd: PrimitiveDescriptor, cost: Int)?
        var failure: Error?
        for (a, b) in candidates {
            do {
                let pd = try make(a, b)
                let cost = cost(pd.implementation, groups: groups, inference: inference)
                if cost == 0 { return pd }
                if best == nil || cost < best!.cost { best = (pd, cost) }
            } catch { failure = failure ?? error }
        }
        if let best { return best.pd }
        throw failure!
    }
}
