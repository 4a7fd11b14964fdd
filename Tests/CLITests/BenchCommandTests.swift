import Foundation
import XCTest

final class BenchCommandTests: XCTestCase {
    /// The GEMM the k-means runs on must compute right on this CPU, not only fast.
    func testGEMMIsCheckedAgainstANaiveLoop() throws {
        let result = try CLIProcess.run(["bench", "--json", "--only", "sgemm-check", "--quiet"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as! [String: Any]
        let error = try XCTUnwrap(object["sgemm_max_relative_error"] as? Double)
        XCTAssertLessThan(error, 1e-5)
        let gemm = try XCTUnwrap(object["gemm"] as? [String: Any])
        XCTAssertTrue((gemm["library"] as? String)?.hasPrefix("oneDNN 2.") == true, "\(gemm)")
        XCTAssertNotNil(gemm["isa"] as? String)
    }
}
