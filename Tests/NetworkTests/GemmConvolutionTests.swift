import Numerics
import XCTest
@testable import Network

/// `GemmConvolution`: which convolutions take it, and its im2col on hand-worked cases. (Its
/// values against the reference graph: EngineTests, whose small cases run their
/// convolutions this way at inference.)
final class GemmConvolutionTests: XCTestCase {
    func testWhichConvolutionsTakeIt() throws {
        let conv = Convolution(filters: 64, kernel: [3, 3])
        XCTAssertTrue(GemmConvolution.suits(conv, outputShape: [64, 8, 8]))
        XCTAssertFalse(GemmConvolution.suits(conv, outputShape: [64, 9, 8]), "a plane past 64 pixels: oneDNN's direct kernel")
        XCTAssertFalse(GemmConvolution.suits(Convolution(filters: 32, kernel: [3, 3]), outputShape: [32, 2, 2]), "narrow")
        XCTAssertFalse(GemmConvolution.suits(Convolution(filters: 64, kernel: [1, 1]), outputShape: [64, 2, 2]), "1x1: oneDNN's 1x1 kernel")
        XCTAssertFalse(GemmConvolution.suits(Convolution(filters: 64, kernel: [3, 3], groups: 2), outputShape: [64, 2, 2]), "grouped")
        XCTAssertFalse(GemmConvolution.suits(Convolution(filters: 64, kernel: [3, 3], activation: .erf), outputShape: [64, 2, 2]),
                       "an activation oneDNN has no function for")
        // Read by a concatenation: oneDNN's kernel, whose layout the concat's other inputs share.
        let graph = try LayerList.parse("c0:conv(64,3),c1:conv(64,3),k:concat(c0,c1),c2:conv(64,3),out:dense(3)",
                                        input: .init(channels: 2, height: 6, width: 6))
        let executor = try Model(graph: graph, seed: 1).executor(.inference, batch: 2)
        let gemm = executor.kernels.filter { $0.1 is GemmConvolutionKernel }.map(\.0)
        XCTAssertEqual(gemm, ["c2"])
    }

    /// One image, 2 channels of 3x3 (channel c, pixel p holds 10c + p), a 2x2 kernel with
    /// one pixel of padding before and stride 2: output 2x2, each row 4 taps x 2 channels.
    func testIm2colOfAPaddedStridedKernel() {
        // NHWC: pixel p's channels are adjacent.
        let source: [Float] = (0..<9).flatMap { p in [Float(p), Float(10 + p)] }
        var columns = [Float](repeating: -1, count: 4 * 8)
        source.withUnsafeBufferPointer { s in
            columns.withUnsafeMutableBufferPointer { c in
                GemmConvolution.im2col(source: s.baseAddress!, input: [1, 2, 3, 3], images: 0..<1, output: [1, 5, 2, 2], kernel: [2, 2],
                                       stride: [2, 2], dilation: [1, 1], paddingBegin: [1, 1], columns: c.baseAddress!)
            }
        }
        // Output (0,0) reads input (-1,-1) (-1,0) (0,-1) (0,0); (0,1): (-1,1) (-1,2) (0,1) (0,2);
        // (1,0): (1,-1) (1,0) (2,-1) (2,0); (1,1): (1,1) (1,2) (2,1) (2,2).
        XCTAssertEqual(columns, [0, 0, 0, 0, 0, 0, 0, 10,
                                 0, 0, 0, 0, 1, 11, 2, 12,
                                 0, 0, 3, 13, 0, 0, 6, 16,
                                 4, 14, 5, 15, 7, 17, 8, 18])
    }

    /// Dilation 2 on a 3x3 input with a 2x2 kernel and no padding: the one output reads
    /// the four corners; the second image's rows follow the first's.
    func testIm2colDilatedOverTwoImages() {
        let source: [Float] = (0..<18).map(Float.init)  // 2 images, 1 channel, 3x3
        var columns = [Float](repeating: -1, count: 8)
        source.withUnsafeBufferPointer { s in
            columns.withUnsafeMutableBufferPointer { c in
                GemmConvolution.im2col(source: s.baseAddress!, input: [2, 1, 3, 3], images: 0..<2, output: [2, 1, 1, 1], kernel: [2, 2],
                                       stride: [1, 1], dilation: [2, 2], paddingBegin: [0, 0], columns: c.baseAddress!)
            }
        }
        XCTAssertEqual(columns, [0, 2, 6, 8, 9, 11, 15, 17])
    }
}
