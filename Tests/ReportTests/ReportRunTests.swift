import Datasets
import Foundation
import Interpretation
import Numerics
import TestSupport
import XCTest
@testable import Report

/// The report stage through its library entry point, in one process.
final class ReportRunTests: XCTestCase {
    func testDrawsEveryInstanceAndLeavesNoStagingBehind() throws {
        let output = NSTemporaryDirectory() + "cnn-inte-report-run-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: output) }
        let dataset = ToyData.dataset(train: 40, test: 6)
        var interpretation = InterpretationConfiguration()
        interpretation.layer = "quadrants"
        interpretation.k1 = 2
        interpretation.k2 = 2
        interpretation.trees = 3
        interpretation.augmentCopies = 0
        try InterpretationRun.run(dataset: dataset, labeller: QuadrantLabeller(), model: ModelProvenance(labeller: "q"), configuration: interpretation,
                                  into: output + "/interpretation")
        var configuration = ReportRun.Configuration()
        configuration.output = output
        configuration.jobs = 1
        let summary = try ReportRun.run(configuration, dataset: dataset, into: output + "/report", pdf: output + "/pdf")
        XCTAssertTrue(summary.hasPrefix("report: \(output)/report/index.html (booklets in \(output)/pdf), 6 diagrams in "), summary)
        let saved = try SavedInterpretation.load(folder: output + "/interpretation")
        for i in 0..<6 {
            XCTAssertEqual(try String(contentsOfFile: "\(output)/report/diagrams/\(i).txt", encoding: .utf8), saved.text(for: i) + "\n")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output + "/pdf").sorted(),
                       ["north-east.pdf", "north-west.pdf", "south-east.pdf", "south-west.pdf"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: output).sorted(), ["interpretation", "pdf", "report"])
    }

    /// The worker's command line is answered by the code that writes it; anything else is
    /// the CLI's.
    func testWorkerArgumentsAreReadByTheWorkerAlone() throws {
        XCTAssertNil(ReportWorker.runIfWorker(["report", "--jobs", "2"]))
        XCTAssertNil(ReportWorker.runIfWorker([]))
        XCTAssertEqual(ReportWorker.arguments(jobFile: "/tmp/j.json"), [ReportWorker.flag, "/tmp/j.json"])
        XCTAssertEqual(ReportWorker.runIfWorker([ReportWorker.flag]), 64)
        XCTAssertEqual(ReportWorker.runIfWorker(ReportWorker.arguments(jobFile: "/nonexistent/job.json")), 64)
        // A job file naming no worker shard of its run.
        let file = NSTemporaryDirectory() + "cnn-inte-worker-job-" + UUID().uuidString + ".json"
        defer { try? FileManager.default.removeItem(atPath: file) }
        let job = ReportWorker.Job(configuration: .init(), shard: 0, shards: 2, reportFolder: "/tmp", pdfFolder: "/tmp", progress: false, parent: 1)
        try JSONEncoder().encode(job).write(to: URL(fileURLWithPath: file))
        XCTAssertEqual(ReportWorker.runIfWorker(ReportWorker.arguments(jobFile: file)), 64)
    }

    func testOptionsOutOfRangeAreUsageErrors() {
        var configuration = ReportRun.Configuration()
        configuration.dpi = 5
        XCTAssertThrowsError(try configuration.validate()) {
            XCTAssertEqual($0 as? UsageError, UsageError("--dpi must be between 10 and 1200 (got 5.0)"))
        }
    }
}
