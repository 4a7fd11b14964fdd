import CDNNL
import Foundation

/// The one Swift layer over oneDNN's C API (Debian 12's oneDNN 2.6, the 2.x API of
/// operation descriptors): an engine and a stream, memory descriptors and memories,
/// primitive descriptors built from operation descriptors, primitives, attributes. No
/// other files import CDNNL (DNNLMemory.swift holds the memories, DNNLOperations.swift the
/// operation descriptors).
///
/// oneDNN runs its primitives on OpenMP's threads, the pool `Parallel` uses too.
public enum DNNL {
    public struct Failure: Error, CustomStringConvertible {
        public let what: String
        public let status: dnnl_status_t
        public var description: String { "oneDNN could not \(what) (status \(status.rawValue))" }
    }

    @inline(__always)
    static func check(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
        if status != dnnl_success { throw Failure(what: what(), status: status) }
    }

    nonisolated(unsafe) static let engine: dnnl_engine_t = {
        var engine: dnnl_engine_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine else {
            fatalError("oneDNN: no CPU engine")
        }
        return engine
    }()

    nonisolated(unsafe) static let stream: dnnl_stream_t = {
        var stream: dnnl_stream_t?
        guard dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else {
            fatalError("oneDNN: no stream")
        }
        return stream
    }()

    /// "oneDNN 2.6.3 (OpenMP)".
    public static var version: String {
        let v = dnnl_version()!.pointee
        return "oneDNN \(v.major).\(v.minor).\(v.patch)"
    }

    /// The instruction set oneDNN's kernels use on this CPU.
    public static var isa: String {
        switch dnnl_get_effective_cpu_isa() {
        case dnnl_cpu_isa_sse41: return "sse41"
        case dnnl_cpu_isa_avx: return "avx"
        case dnnl_cpu_isa_avx2: return "avx2"
        case dnnl_cpu_isa_avx512_mic, dnnl_cpu_isa_avx512_mic_4ops: return "avx512_mic"
        case dnnl_cpu_isa_avx512_core: return "avx512_core"
        case dnnl_cpu_isa_avx512_core_vnni: return "avx512_core_vnni"
        case dnnl_cpu_isa_avx512_core_bf16: return "avx512_core_bf16"
        case dnnl_cpu_isa_avx512_core_amx: return "avx512_core_amx"
        case dnnl_cpu_isa_avx2_vnni: return "avx2_vnni"
        default: return "other"
        }
    }

    /// Waits for the stream (CPU primitives run synchronously; kept for clarity).
    public static func wait() { dnnl_stream_wait(stream) }
}

/// Post-ops fused into a primitive: an element-wise function of its result.
public final class Attributes {
    let raw: dnnl_primitive_attr_t

    public init() {
        var attr: dnnl_primitive_attr_t?
        dnnl_primitive_attr_create(&attr)
        raw = attr!
    }

    deinit { dnnl_primitive_attr_destroy(raw) }

    /// Applies `eltwise` to the primitive's result.
    public convenience init(postEltwise eltwise: Eltwise) {
        self.init(postSum: false, postEltwise: eltwise)
    }

    /// Adds the result to what the destination holds (`postSum`: a residual connection
    /// fused into the convolution before it), then applies `eltwise` if given.
    public convenience init(postSum: Bool, postEltwise eltwise: Eltwise?) {
        self.init(postSum: postSum, postEltwises: eltwise.map { [$0] } ?? [])
    }

    /// The same with a chain of element-wise functions, applied in order.
    public convenience init(postSum: Bool = false, postEltwises: [Eltwise]) {
        self.init()
        var ops: dnnl_post_ops_t?
        dnnl_post_ops_create(&ops)
        if postSum { dnnl_post_ops_append_sum(ops, 1) }
        for eltwise in postEltwises {
            dnnl_post_ops_append_eltwise(ops, 1, eltwise.algorithm(useDestination: false), eltwise.alpha, eltwise.beta)
        }
        dnnl_primitive_attr_set_post_ops(raw, ops)
        dnnl_post_ops_destroy(ops)
    }
}

/// The element-wise functions the engine uses (oneDNN 2.6's eltwise algorithms).
public enum Eltwise: Equatable {
    case relu(slope: Float)  // slope 0: ReLU; else leaky ReLU
    case clip(lower: Float, upper: Float)
    case logistic
    case tanh
    case linear(scale: Float, shift: Float)
    /// x * relu6(x + 3) / 6.
    case hardswish
    /// x * sigmoid(beta * x); beta 1 is SiLU.
    case swish(beta: Float)
    /// x * Phi(x), with the normal CDF exactly (erf) or by the tanh approximation.
    case gelu(tanhApproximation: Bool)
    /// x for x > 0, alpha * (exp(x) - 1) otherwise.
    case elu(alpha: Float)
    case exp
    /// log(1 + exp(x)).
    case softplus
    /// x * tanh(softplus(x)).
    case mish
    case abs
    case sqrt
    case square
    case log

    func algorithm(useDestination: Bool) -> dnnl_alg_kind_t {
        switch self {
        case .relu: return useDestination ? dnnl_eltwise_relu_use_dst_for_bwd : dnnl_eltwise_relu
        case .clip: return useDestination ? dnnl_eltwise_clip_v2_use_dst_for_bwd : dnnl_eltwise_clip_v2
        case .logistic: return useDestination ? dnnl_eltwise_logistic_use_dst_for_bwd : dnnl_eltwise_logistic
        case .tanh: return useDestination ? dnnl_eltwise_tanh_use_dst_for_bwd : dnnl_eltwise_tanh
        case .linear: return dnnl_eltwise_linear
        case .hardswish: return dnnl_eltwise_hardswish
        case .swish: return dnnl_eltwise_swish
        case let .gelu(approximate): return approximate ? dnnl_eltwise_gelu_tanh : dnnl_eltwise_gelu_erf
        case .elu: return dnnl_eltwise_elu
        case .exp: return dnnl_eltwise_exp
        case .softplus: return dnnl_eltwise_soft_relu
        case .mish: return dnnl_eltwise_mish
        case .abs: return dnnl_eltwise_abs
        case .sqrt: return dnnl_eltwise_sqrt
        case .square: return dnnl_eltwise_square
        case .log: return dnnl_eltwise_log
        }
    }

    /// Whether its backward can be computed from its output (saving its input).
    public var backwardFromDestination: Bool {
        switch self {
        case let .relu(slope): return slope >= 0
        case .clip, .logistic, .tanh: return true
        default: return false
        }
    }

    var alpha: Float {
        switch self {
        case let .relu(slope): return slope
        case let .clip(lower, _): return lower
        case let .linear(scale, _): return scale
        case let .swish(beta): return beta
        case let .elu(alpha): return alpha
        default: return 0
        }
    }

    var beta: Float {
        switch self {
        case let .clip(_, upper): return upper
        case let .linear(_, shift): return shift
        default: return 0
        }
    }
}

/// Which pass a primitive serves.
public enum Propagation {
    case training, inference
    var raw: dnnl_prop_kind_t { self == .training ? dnnl_forward_training : dnnl_forward_inference }
}

/// Which memory of a primitive descriptor to ask about.
public enum Query {
    case source, weights, destination, diffSource, diffWeights, diffDestination, workspace, scratchpad
    var raw: dnnl_query_t {
        switch self {
        case .source: return dnnl_query_src_md
        case .weights: return dnnl_query_weights_md
        case .destination: return dnnl_query_dst_md
        case .diffSource: return dnnl_query_diff_src_md
        case .diffWeights: return dnnl_query_diff_weights_md
        case .diffDestination: return dnnl_query_diff_dst_md
        case .workspace: return dnnl_query_workspace_md
        case .scratchpad: return dnnl_query_scratchpad_md
        }
    }
}

/// A primitive descriptor: an operation with the implementation oneDNN chose for it.
public final class PrimitiveDescriptor {
    let raw: dnnl_primitive_desc_t

    init(raw: dnnl_primitive_desc_t) { self.raw = raw }

    /// From an operation descriptor (a C struct), with `attributes` and the forward
    /// descriptor `hint` that backward operations need.
    static func make<Op>(_ op: inout Op, attributes: Attributes? = nil, hint: PrimitiveDescriptor? = nil,
                         what: @autoclosure () -> String) throws -> PrimitiveDescriptor {
        var pd: dnnl_primitive_desc_t?
        try DNNL.check(withUnsafePointer(to: &op) { dnnl_primitive_desc_create(&pd, $0, attributes?.raw, DNNL.engine, hint?.raw) },
                       "create a primitive for \(what())")
        return PrimitiveDescriptor(raw: pd!)
    }

    deinit { dnnl_primitive_desc_destroy(raw) }

    /// The memory `query` describes (`index` for the second of several, e.g. a bias is
    /// weights 1); an empty descriptor where the primitive has none.
    public func memory(_ query: Query, _ index: Int = 0) -> MemoryDescriptor {
        MemoryDescriptor(raw: dnnl_primitive_desc_query_md(raw, query.raw, Int32(index)).pointee)
    }

    /// oneDNN's name for the implementation: "jit:avx512_core", "brgconv:...", "ref:any".
    public var implementation: String {
        var info: UnsafePointer<CChar>?
        dnnl_primitive_desc_query(raw, dnnl_query_impl_info_str, 0, &info)
        return info.map { String(cString: $0) } ?? "?"
    }

    /// Whether oneDNN fell back to its slow reference code (a layout it had no kernel for).
    public var isReference: Bool { PrimitiveDescriptor.isReference(implementation) }

    /// Whether an implementation name is oneDNN's reference code ("ref:any").
    public static func isReference(_ implementation: String) -> Bool { implementation.hasPrefix("ref") }
}

/// An executable primitive and the descriptor it was made from.
public final class Primitive {
    public let descriptor: PrimitiveDescriptor
    let raw: dnnl_primitive_t

    public init(_ descriptor: PrimitiveDescriptor) throws {
        self.descriptor = descriptor
        var primitive: dnnl_primitive_t?
        try DNNL.check(dnnl_primitive_create(&primitive, descriptor.raw), "create a primitive")
        raw = primitive!
    }

    deinit { dnnl_primitive_destroy(raw) }

    /// Runs on the stream with `arguments` (oneDNN's argument ids and memories).
    public func execute(_ arguments: [(Argument, DNNLMemory)]) {
        var args = arguments.map { dnnl_exec_arg_t(arg: $0.0.raw, memory: $0.1.raw) }
        let status = dnnl_primitive_execute(raw, DNNL.stream, Int32(args.count), &args)
        precondition(status == dnnl_success, "oneDNN primitive \(descriptor.implementation) failed (status \(status.rawValue))")
    }
}

/// oneDNN's argument ids.
public struct Argument: Hashable {
    let raw: Int32
    public static let source = Argument(raw: DNNL_ARG_SRC)
    public static let source1 = Argument(raw: DNNL_ARG_SRC_1)
    public static let destination = Argument(raw: DNNL_ARG_DST)
    public static let weights = Argument(raw: DNNL_ARG_WEIGHTS)
    public static let bias = Argument(raw: DNNL_ARG_BIAS)
    public static let mean = Argument(raw: DNNL_ARG_MEAN)
    public static let variance = Argument(raw: DNNL_ARG_VARIANCE)
    public static let scale = Argument(raw: DNNL_ARG_SCALE)
    public static let shift = Argument(raw: DNNL_ARG_SHIFT)
    public static let workspace = Argument(raw: DNNL_ARG_WORKSPACE)
    public static let diffSource = Argument(raw: DNNL_ARG_DIFF_SRC)
    public static let diffDestination = Argument(raw: DNNL_ARG_DIFF_DST)
    public static let diffWeights = Argument(raw: DNNL_ARG_DIFF_WEIGHTS)
    public static let diffBias = Argument(raw: DNNL_ARG_DIFF_BIAS)
    public static let diffScale = Argument(raw: DNNL_ARG_DIFF_SCALE)
    public static let diffShift = Argument(raw: DNNL_ARG_DIFF_SHIFT)
    public static let from = Argument(raw: DNNL_ARG_FROM)
    public static let to = Argument(raw: DNNL_ARG_TO)
    /// The `i`-th source of a concat or sum.
    public static func multipleSource(_ i: Int) -> Argument { Argument(raw: DNNL_ARG_MULTIPLE_SRC + Int32(i)) }
}

extension DNNL {
    /// C = alpha * op(A) * op(B) + beta * C, row-major (oneDNN's own GEMM, on OpenMP's
    /// threads; single-threaded when called inside a parallel region).
    @inline(__always)
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int,
                      b: UnsafePointer<Float>, ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        let status = dnnl_sgemm(CChar(UInt8(ascii: transA ? "T" : "N")), CChar(UInt8(ascii: transB ? "T" : "N")),
                                dnnl_dim_t(m), dnnl_dim_t(n), dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb), beta, c, dnnl_dim_t(ldc))
        precondition(status == dnnl_success, "oneDNN sgemm \(m)x\(n)x\(k) failed (status \(status.rawValue))")
    }
}
