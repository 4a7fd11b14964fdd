import Numerics
import XCTest
@testable import Network

/// What `ResidualFusion` fuses, and when it may add into the residual's own memory. (The
/// values are checked against the reference graph in EngineTests, with every node kept
/// alone so the others fuse around it.)
final class ResidualFusionTests: XCTestCase {
    func testPlans() throws {
        let graph = try LayerList.parse("c0:conv(3,3),c1:conv(3,3,relu),c2:conv(3,1),s:add(c2,c0),r:relu(),c3:conv(3,1),t:add(c3,c0),u:relu6(),out:dense(3)",
                                        input: .init(channels: 2, height: 6, width: 6))
        let fusion = ResidualFusion(graph: graph, keep: [])
        XCTAssertEqual(fusion.plans["s"]?.convolution, "c2")
        XCTAssertEqual(fusion.plans["s"]?.residual, "c0")
        XCTAssertEqual(fusion.plans["s"]?.activation, "r")
        XCTAssertEqual(fusion.plans["t"]?.convolution, "c3")
        XCTAssertEqual(fusion.plans["t"]?.activation, "u")
        XCTAssertEqual(fusion.absorbed, ["c2": "s", "r": "s", "c3": "t", "u": "t"])
        // c0 is read by t after s: s must copy it; t is its last reader and may add into it.
        XCTAssertFalse(fusion.mayWriteInPlace("s", sharing: ["c0"]))
        XCTAssertTrue(fusion.mayWriteInPlace("t", sharing: ["c0"]))
        XCTAssertFalse(ResidualFusion(graph: graph, keep: ["c0"]).mayWriteInPlace("t", sharing: ["c0"]))
        // Kept values are not fused away (a kept activation is computed by the fused
        // kernel, so it may be absorbed: its value stays readable).
        let keeping = ResidualFusion(graph: graph, keep: ["c2", "u"])
        XCTAssertNil(keeping.plans["s"])
        XCTAssertEqual(keeping.plans["t"]?.activation, "u")
        XCTAssertNil(ResidualFusion(graph: graph, keep: ["s"]).plans["s"])
    }

    /// A convolution of the residual itself may not add into that memory: it reads it.
    func testAConvolutionOfTheResidualCopiesIt() throws {
        let graph = try LayerList.parse("c0:conv(4,3),c2:conv(4,3),s:add(c0,c2),r:relu(),out:dense(3)", input: .init(channels: 2, height: 6, width: 6))
        let fusion = ResidualFusion(graph: graph, keep: [])
        XCTAssertEqual(fusion.plans["s"]?.convolution, "c2")
        XCTAssertFalse(fusion.mayWriteInPlace("s", sharing: ["c0"]))
    }

    func testExecutorRunsTheFusedKernels() throws {
        let graph = Builtins.resnet20(input: .init(channels: 3, height: 16, width: 16), classes: 10)
        let model = try Model(graph: graph, seed: 1)
        let fused = try model.executor(.inference, batch: 4, keep: ["gap"])
        XCTAssertEqual(fused.kernels.filter { $0.1 is ResidualConvolutionKernel }.count, 0, "resnet20's additions follow batch norms, not convolutions")
        // The same network as an importer gives it: batch norms folded into the convolutions.
        // On 9x9 planes oneDNN's direct convolution takes the sum; on 8x8 the GEMM path does.
        let layers = "c0:conv(64,3,relu),c1:conv(64,3,relu),c2:conv(64,3),s:add(c2,c0),r:relu(),g:gap(),out:dense(3)"
        for (side, direct) in [(9, true), (8, false)] {
            let imported = try LayerList.parse(layers, input: .init(channels: 3, height: side, width: side))
            let executor = try Model(graph: imported, seed: 1).executor(.inference, batch: 4, keep: ["g"])
            XCTAssertEqual(executor.kernels.map(\.0), ["c0", "c1", "s", "r", "g", "out"])
            XCTAssertEqual(executor.kernels[2].1 is ResidualConvolutionKernel, direct, "\(side)x\(side)")
            XCTAssertEqual(executor.kernels[2].1 is GemmConvolutionKernel, !direct, "\(side)x\(side)")
            XCTAssertTrue(executor.kernels[3].1 is AbsorbedKernel)
        }
    }
}
