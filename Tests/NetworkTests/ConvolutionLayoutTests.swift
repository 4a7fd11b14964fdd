import Numerics
import XCTest
@testable import Network

/// `ConvolutionLayouts`: whatever layout a producer leaves a feature map in, the
/// convolution reading it gets a fast kernel. Each layout below is one some ISA's
/// primitives choose (NCHW: the image; NHWC: brgemm on AVX-512; blocks of 8 and 16: the
/// AVX2 and AVX-512 direct kernels), so every one is tried on every machine.
final class ConvolutionLayoutTests: XCTestCase {
    struct Shape {
        var name: String
        var channels: Int
        var filters: Int
        var groups: Int
        var kernel: Int
        var stride = 1
    }

    static let shapes = [
        Shape(name: "depthwise 3x3", channels: 32, filters: 32, groups: 32, kernel: 3),
        Shape(name: "depthwise 5x5 stride 2", channels: 48, filters: 48, groups: 48, kernel: 5, stride: 2),
        Shape(name: "grouped 3x3 (4 groups)", channels: 32, filters: 32, groups: 4, kernel: 3),
        Shape(name: "first layer 7x7 stride 2 on 3 channels", channels: 3, filters: 64, groups: 1, kernel: 7, stride: 2),
        Shape(name: "3x3", channels: 32, filters: 64, groups: 1, kernel: 3),
        Shape(name: "1x1", channels: 64, filters: 32, groups: 1, kernel: 1),
    ]

    func testEveryProducerLayoutGetsAFastKernel() throws {
        for shape in Self.shapes {
            for layout in MemoryDescriptor.Layout4D.allCases {
                let (n, side) = (8, 28)
                let source = MemoryDescriptor(dims: [n, shape.channels, side, side], layout: layout)
                let pad = shape.kernel / 2, out = (side + 2 * pad - shape.kernel) / shape.stride + 1
                let weights: [Int] = shape.groups == 1 ? [shape.filters, shape.channels, shape.kernel, shape.kernel]
                    : [shape.groups, shape.filters / shape.groups, shape.channels / shape.groups, shape.kernel, shape.kernel]
                let choice = try ConvolutionLayouts(source: source, outputDims: [n, shape.filters, out, out], groups: shape.groups) { s, d in
                    try .convolutionForward(.inference, source: s, weights: .any(weights), bias: nil, destination: d,
                                            strides: [shape.stride, shape.stride], dilation: [1, 1], paddingBegin: [pad, pad], paddingEnd: [pad, pad],
                                            attributes: Attributes(postEltwise: .clip(lower: 0, upper: 6)))
                }
                let implementation = choice.descriptor.implementation
                XCTAssertFalse(ConvolutionLayouts.isSlow(implementation, groups: shape.groups),
                               "\(shape.name) on \(layout): \(implementation) (\(DNNL.isa))")
                // The input is reordered only when its own layout had no fast kernel.
                if let reordered = choice.sourceLayout { XCTAssertNotEqual(reordered, source) }
            }
        }
    }

    /// Pooled features [N, C, 1, 1] are the same bytes plain and channels last (read
    /// without a reorder); a map with a larger plane is not, and blocked layouts are left
    /// to a reorder.
    func testPooledFeaturesNeedNoReorder() {
        let dims = [3, 40, 1, 1]
        XCTAssertTrue(Step.sameBytes(.channelsLast(dims), MemoryDescriptor(dims: dims)))
        XCTAssertTrue(Step.sameBytes(MemoryDescriptor(dims: dims), MemoryDescriptor(dims: dims)))
        XCTAssertFalse(Step.sameBytes(.channelsLast([3, 40, 2, 1]), MemoryDescriptor(dims: [3, 40, 2, 1])))
        XCTAssertFalse(Step.sameBytes(MemoryDescriptor(dims: dims, layout: .nChw8c), MemoryDescriptor(dims: dims)))
        XCTAssertFalse(Step.sameBytes(.channelsLast(dims), MemoryDescriptor(dims: [3, 40])))
    }

    func testSlowImplementationsAreNamed() {
        XCTAssertTrue(ConvolutionLayouts.isSlow("ref:any", groups: 1))
        XCTAssertTrue(ConvolutionLayouts.isSlow("x64:gemm:jit", groups: 32))
        XCTAssertFalse(ConvolutionLayouts.isSlow("x64:gemm:jit", groups: 1))
        XCTAssertFalse(ConvolutionLayouts.isSlow("jit_dw:avx2", groups: 32))
        XCTAssertFalse(ConvolutionLayouts.isSlow("brg:avx512_core", groups: 1))
    }
}
