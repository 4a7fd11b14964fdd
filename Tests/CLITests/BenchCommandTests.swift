import Foundation
import XCTest

final class BenchCommandTests: XCTestCase {
    /// The kernels OpenBLAS is given by default (no OPENBLAS_CORETYPE in the environment)
    /// must compute right on this CPU, not only fast.
    func testDefaultKernelsAreCheckedAgainstANaiveLoop() throws {
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "OPENBLAS_CORETYPE")
        let result = try CLIProcess.run(["bench", "--json", "--only", "sgemm-check", "--quiet"], environment: environment)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let error = try XCTUnwrap(object["sgemm_max_relative_error"] as? Double)
        XCTAssertLessThan(error, 1e-5)
        let blas = try XCTUnwrap(object["blas"] as? [String: Any])
        XCTAssertNotNil(blas["core"] as? String)
    }
}
