import CDNNL
import Foundation

/// The operations the engine builds, as primitive descriptors. Each takes memory
/// descriptors (`.any` where the primitive should choose the layout) and the parameters
/// of the operation; backward ones take their forward descriptor as a hint. Spatial
/// parameters are (height, width).
extension PrimitiveDescriptor {
    /// A convolution. `dilation` counts as in ONNX and TensorFlow (1: none);
    /// `paddingBegin`/`paddingEnd` are the zeros added before and after each axis.
    public static func convolutionForward(_ propagation: Propagation, source: MemoryDescriptor, weights: MemoryDescriptor,
                                          bias: MemoryDescriptor?, destination: MemoryDescriptor, strides: [Int], dilation: [Int],
                                          paddingBegin: [Int], paddingEnd: [Int], attributes: Attributes? = nil) throws -> PrimitiveDescriptor {
        var op = dnnl_convolution_desc_t()
        var (s, w, d) = (source.raw, weights.raw, destination.raw)
        // At inference oneDNN may pick Winograd's F(4x4, 3x3) for 3x3 convolutions of
        // stride 1 where its CPU has a kernel for it (AVX-512): ResNet-18 at 224x224 ran
        // 58 -> 82 images/s on a Zen 4 (docs/EXPERIMENTS.md, "Winograd"), within 1e-6 of
        // the logits' scale of the direct kernels. Training keeps the direct algorithm: its
        // backward passes were never measured with it.
        let algorithm = propagation == .inference && dilation.allSatisfy({ $0 == 1 }) ? dnnl_convolution_auto : dnnl_convolution_direct
        try DNNL.check(withOptional(bias?.raw) { b in dnnl_dilated_convolution_forward_desc_init(
            &op, propagation.raw, algorithm, &s, &w, b, &d, dims(strides), dims(dilation.map { $0 - 1 }),
            dims(paddingBegin), dims(paddingEnd)) }, "describe a convolution \(source.dims) * \(weights.dims)")
        return try make(&op, attributes: attributes, what: "a convolution \(source.dims) * \(weights.dims)")
    }

    public static func convolutionBackwardData(diffSource: MemoryDescriptor, weights: MemoryDescriptor, diffDestination: MemoryDescriptor,
                                               strides: [Int], dilation: [Int], paddingBegin: [Int], paddingEnd: [Int],
                                               hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_convolution_desc_t()
        var (s, w, d) = (diffSource.raw, weights.raw, diffDestination.raw)
        try DNNL.check(dnnl_dilated_convolution_backward_data_desc_init(
            &op, dnnl_convolution_direct, &s, &w, &d, dims(strides), dims(dilation.map { $0 - 1 }), dims(paddingBegin), dims(paddingEnd)),
                       "describe a convolution's backward data")
        return try make(&op, hint: hint, what: "a convolution's backward data \(diffSource.dims)")
    }

    public static func convolutionBackwardWeights(source: MemoryDescriptor, diffWeights: MemoryDescriptor, diffBias: MemoryDescriptor?,
                                                  diffDestination: MemoryDescriptor, strides: [Int], dilation: [Int],
                                                  paddingBegin: [Int], paddingEnd: [Int], hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_convolution_desc_t()
        var (s, w, d) = (source.raw, diffWeights.raw, diffDestination.raw)
        try DNNL.check(withOptional(diffBias?.raw) { b in dnnl_dilated_convolution_backward_weights_desc_init(
            &op, dnnl_convolution_direct, &s, &w, b, &d, dims(strides), dims(dilation.map { $0 - 1 }),
            dims(paddingBegin), dims(paddingEnd)) }, "describe a convolution's backward weights")
        return try make(&op, hint: hint, what: "a convolution's backward weights \(diffWeights.dims)")
    }

    public static func innerProductForward(_ propagation: Propagation, source: MemoryDescriptor, weights: MemoryDescriptor,
                                           bias: MemoryDescriptor?, destination: MemoryDescriptor,
                                           attributes: Attributes? = nil) throws -> PrimitiveDescriptor {
        var op = dnnl_inner_product_desc_t()
        var (s, w, d) = (source.raw, weights.raw, destination.raw)
        try DNNL.check(withOptional(bias?.raw) { b in dnnl_inner_product_forward_desc_init(&op, propagation.raw, &s, &w, b, &d) },
                       "describe an inner product \(source.dims) * \(weights.dims)")
        return try make(&op, attributes: attributes, what: "an inner product \(source.dims) * \(weights.dims)")
    }

    public static func innerProductBackwardData(diffSource: MemoryDescriptor, weights: MemoryDescriptor, diffDestination: MemoryDescriptor,
                                                hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_inner_product_desc_t()
        var (s, w, d) = (diffSource.raw, weights.raw, diffDestination.raw)
        try DNNL.check(dnnl_inner_product_backward_data_desc_init(&op, &s, &w, &d), "describe an inner product's backward data")
        return try make(&op, hint: hint, what: "an inner product's backward data")
    }

    public static func innerProductBackwardWeights(source: MemoryDescriptor, diffWeights: MemoryDescriptor, diffBias: MemoryDescriptor?,
                                                   diffDestination: MemoryDescriptor, hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_inner_product_desc_t()
        var (s, w, d) = (source.raw, diffWeights.raw, diffDestination.raw)
        try DNNL.check(withOptional(diffBias?.raw) { b in dnnl_inner_product_backward_weights_desc_init(&op, &s, &w, b, &d) },
                       "describe an inner product's backward weights")
        return try make(&op, hint: hint, what: "an inner product's backward weights")
    }

    /// Max or average pooling (`includePadding`: whether padded cells count in averages).
    public static func poolingForward(_ propagation: Propagation, max: Bool, includePadding: Bool, source: MemoryDescriptor,
                                      destination: MemoryDescriptor, kernel: [Int], strides: [Int], paddingBegin: [Int],
                                      paddingEnd: [Int]) throws -> PrimitiveDescriptor {
        var op = dnnl_pooling_v2_desc_t()
        var (s, d) = (source.raw, destination.raw)
        try DNNL.check(dnnl_pooling_v2_forward_desc_init(&op, propagation.raw, poolingAlgorithm(max: max, includePadding: includePadding),
                                                         &s, &d, dims(strides), dims(kernel), dims([0, 0]), dims(paddingBegin), dims(paddingEnd)),
                       "describe a pooling \(source.dims) -> \(destination.dims)")
        return try make(&op, what: "a pooling \(source.dims)")
    }

    public static func poolingBackward(max: Bool, includePadding: Bool, diffSource: MemoryDescriptor, diffDestination: MemoryDescriptor,
                                       kernel: [Int], strides: [Int], paddingBegin: [Int], paddingEnd: [Int],
                                       hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_pooling_v2_desc_t()
        var (s, d) = (diffSource.raw, diffDestination.raw)
        try DNNL.check(dnnl_pooling_v2_backward_desc_init(&op, poolingAlgorithm(max: max, includePadding: includePadding), &s, &d,
                                                          dims(strides), dims(kernel), dims([0, 0]), dims(paddingBegin), dims(paddingEnd)),
                       "describe a pooling's backward")
        return try make(&op, hint: hint, what: "a pooling's backward")
    }

    static func poolingAlgorithm(max: Bool, includePadding: Bool) -> dnnl_alg_kind_t {
        max ? dnnl_pooling_max : (includePadding ? dnnl_pooling_avg_include_padding : dnnl_pooling_avg_exclude_padding)
    }

    public static func eltwiseForward(_ propagation: Propagation, _ function: Eltwise, data: MemoryDescriptor,
                                      useDestinationForBackward: Bool) throws -> PrimitiveDescriptor {
        var op = dnnl_eltwise_desc_t()
        var d = data.raw
        try DNNL.check(dnnl_eltwise_forward_desc_init(&op, propagation.raw, function.algorithm(useDestination: useDestinationForBackward),
                                                      &d, function.alpha, function.beta), "describe an element-wise function")
        return try make(&op, what: "an element-wise function \(data.dims)")
    }

    /// `data` is the forward's destination when the function's backward uses it, else its source.
    public static func eltwiseBackward(_ function: Eltwise, diffData: MemoryDescriptor, data: MemoryDescriptor, useDestination: Bool,
                                       hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_eltwise_desc_t()
        var (dd, d) = (diffData.raw, data.raw)
        try DNNL.check(dnnl_eltwise_backward_desc_init(&op, function.algorithm(useDestination: useDestination), &dd, &d,
                                                       function.alpha, function.beta), "describe an element-wise backward")
        return try make(&op, hint: hint, what: "an element-wise backward")
    }

    /// Batch normalization with a scale and a shift; `globalStatistics` uses the given mean
    /// and variance (inference) instead of the batch's; `relu` applies a ReLU to the result
    /// in the same pass (inference only here: training would need oneDNN's workspace).
    public static func batchNormalizationForward(_ propagation: Propagation, data: MemoryDescriptor, epsilon: Float,
                                                 globalStatistics: Bool, relu: Bool = false) throws -> PrimitiveDescriptor {
        precondition(!relu || propagation == .inference, "a fused ReLU needs a workspace when training")
        var op = dnnl_batch_normalization_desc_t()
        var d = data.raw
        var flags = dnnl_use_scale.rawValue | dnnl_use_shift.rawValue
        if globalStatistics { flags |= dnnl_use_global_stats.rawValue }
        if relu { flags |= dnnl_fuse_norm_relu.rawValue }
        try DNNL.check(dnnl_batch_normalization_forward_desc_init(&op, propagation.raw, &d, epsilon, flags), "describe a batch normalization")
        return try make(&op, what: "a batch normalization \(data.dims)")
    }

    public static func batchNormalizationBackward(diffData: MemoryDescriptor, data: MemoryDescriptor, epsilon: Float,
                                                  hint: PrimitiveDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_batch_normalization_desc_t()
        var (dd, d) = (diffData.raw, data.raw)
        try DNNL.check(dnnl_batch_normalization_backward_desc_init(&op, dnnl_backward, &dd, &d, epsilon,
                                                                   dnnl_use_scale.rawValue | dnnl_use_shift.rawValue),
                       "describe a batch normalization's backward")
        return try make(&op, hint: hint, what: "a batch normalization's backward")
    }

    /// An element-wise operation of two tensors, `source1` broadcast where its dims are 1.
    public enum BinaryAlgorithm: String, Codable, CaseIterable, Sendable {
        case add, sub, mul, div, max, min
        var raw: dnnl_alg_kind_t {
            switch self {
            case .add: return dnnl_binary_add
            case .sub: return dnnl_binary_sub
            case .mul: return dnnl_binary_mul
            case .div: return dnnl_binary_div
            case .max: return dnnl_binary_max
            case .min: return dnnl_binary_min
            }
        }
    }

    public static func binary(_ algorithm: BinaryAlgorithm, source0: MemoryDescriptor, source1: MemoryDescriptor,
                              destination: MemoryDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_binary_desc_t()
        var (a, b, d) = (source0.raw, source1.raw, destination.raw)
        try DNNL.check(dnnl_binary_desc_init(&op, algorithm.raw, &a, &b, &d), "describe a binary \(algorithm.rawValue)")
        return try make(&op, what: "a binary \(algorithm.rawValue) \(source0.dims) \(source1.dims)")
    }

    /// Softmax over `axis` at inference.
    public static func softmaxForward(data: MemoryDescriptor, axis: Int) throws -> PrimitiveDescriptor {
        var op = dnnl_softmax_desc_t()
        var d = data.raw
        try DNNL.check(dnnl_softmax_forward_desc_init(&op, dnnl_forward_inference, &d, Int32(axis)), "describe a softmax")
        return try make(&op, what: "a softmax \(data.dims)")
    }

    /// A channel shuffle at inference: axis 1 seen as [C / groupSize, groupSize], transposed.
    public static func shuffleForward(data: MemoryDescriptor, groupSize: Int) throws -> PrimitiveDescriptor {
        var op = dnnl_shuffle_desc_t()
        var d = data.raw
        try DNNL.check(dnnl_shuffle_forward_desc_init(&op, dnnl_forward_inference, &d, 1, dnnl_dim_t(groupSize)), "describe a shuffle")
        return try make(&op, what: "a shuffle \(data.dims) in groups of \(groupSize)")
    }

    /// Layer normalization over the last dimension at inference, with a scale and a shift.
    public static func layerNormalizationForward(data: MemoryDescriptor, epsilon: Float) throws -> PrimitiveDescriptor {
        var op = dnnl_layer_normalization_desc_t()
        var d = data.raw
        try DNNL.check(dnnl_layer_normalization_forward_desc_init(&op, dnnl_forward_inference, &d, nil, epsilon,
                                                                  dnnl_use_scale.rawValue | dnnl_use_shift.rawValue),
                       "describe a layer normalization")
        return try make(&op, what: "a layer normalization \(data.dims)")
    }

    /// A reduction of `source` to `destination`'s dims (dims of 1 are reduced).
    public enum ReductionAlgorithm: String, Codable, CaseIterable, Sendable {
        case mean, max, min, sum
        var raw: dnnl_alg_kind_t {
            switch self {
            case .mean: return dnnl_reduction_mean
            case .max: return dnnl_reduction_max
            case .min: return dnnl_reduction_min
            case .sum: return dnnl_reduction_sum
            }
        }
    }

    public static func reduction(_ algorithm: ReductionAlgorithm, source: MemoryDescriptor, destination: MemoryDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_reduction_desc_t()
        var (s, d) = (source.raw, destination.raw)
        try DNNL.check(dnnl_reduction_desc_init(&op, algorithm.raw, &s, &d, 0, 0), "describe a reduction")
        return try make(&op, what: "a reduction \(source.dims) -> \(destination.dims)")
    }

    /// `source0 + source1` (`source1` may broadcast: dims of 1).
    public static func add(source0: MemoryDescriptor, source1: MemoryDescriptor, destination: MemoryDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_binary_desc_t()
        var (a, b, d) = (source0.raw, source1.raw, destination.raw)
        try DNNL.check(dnnl_binary_desc_init(&op, dnnl_binary_add, &a, &b, &d), "describe an addition")
        return try make(&op, what: "an addition \(source0.dims)")
    }

    /// `source0 * source1` (`source1` may broadcast).
    public static func multiply(source0: MemoryDescriptor, source1: MemoryDescriptor, destination: MemoryDescriptor) throws -> PrimitiveDescriptor {
        var op = dnnl_binary_desc_t()
        var (a, b, d) = (source0.raw, source1.raw, destination.raw)
        try DNNL.check(dnnl_binary_desc_init(&op, dnnl_binary_mul, &a, &b, &d), "describe a multiplication")
        return try make(&op, what: "a multiplication \(source0.dims)")
    }

    /// The sources side by side along `axis`.
    public static func concat(destination: MemoryDescriptor?, axis: Int, sources: [MemoryDescriptor]) throws -> PrimitiveDescriptor {
        var pd: dnnl_primitive_desc_t?
        var raws = sources.map(\.raw)
        try DNNL.check(withOptional(destination?.raw) { d in
            dnnl_concat_primitive_desc_create(&pd, d, Int32(sources.count), Int32(axis), &raws, nil, DNNL.engine)
        }, "create a concatenation")
        return PrimitiveDescriptor(raw: pd!)
    }

    /// The sum of the sources, each times its scale.
    public static func sum(destination: MemoryDescriptor, scales: [Float], sources: [MemoryDescriptor]) throws -> PrimitiveDescriptor {
        var pd: dnnl_primitive_desc_t?
        var raws = sources.map(\.raw)
        var d = destination.raw
        try DNNL.check(dnnl_sum_primitive_desc_create(&pd, &d, Int32(sources.count), scales, &raws, nil, DNNL.engine), "create a sum")
        return PrimitiveDescriptor(raw: pd!)
    }

    /// A copy from one layout to another.
    public static func reorder(from source: MemoryDescriptor, to destination: MemoryDescriptor) throws -> PrimitiveDescriptor {
        var pd: dnnl_primitive_desc_t?
        var (s, d) = (source.raw, destination.raw)
        try DNNL.check(dnnl_reorder_primitive_desc_create(&pd, &s, DNNL.engine, &d, DNNL.engine, nil),
                       "create a reorder \(source.dims) -> \(destination.dims)")
        return PrimitiveDescriptor(raw: pd!)
    }

    /// `body` with a pointer to a copy of `value`, or nil.
    static func withOptional<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) throws -> R) rethrows -> R {
        guard var value else { return try body(nil) }
        return try withUnsafePointer(to: &value) { try body($0) }
    }

    /// A C `dnnl_dims_t` (12 dims) from the first values of `values`.
    static func dims(_ values: [Int]) -> [dnnl_dim_t] {
        var out = [dnnl_dim_t](repeating: 0, count: Int(DNNL_MAX_NDIMS))
        for (i, v) in values.enumerated() { out[i] = dnnl_dim_t(v) }
        return out
    }
}

extension Primitive {
    /// Copies `from` into `to`, converting the layout (a one-off; an executor keeps its
    /// reorder primitives instead).
    public static func reorder(_ from: DNNLMemory, into to: DNNLMemory) throws {
        try Primitive(try .reorder(from: from.descriptor, to: to.descriptor)).execute([(.from, from), (.to, to)])
    }
}
