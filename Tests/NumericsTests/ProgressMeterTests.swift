import Foundation
import XCTest
@testable import Numerics

/// The progress line's words and numbers, and what reaches the sink.
final class ProgressMeterTests: XCTestCase {
    final class Collected: @unchecked Sendable {
        var lines: [String] = [], statuses: [String] = []
        let lock = NSLock()
        var sink: ProgressSink {
            ProgressSink(line: { text in self.lock.lock(); self.lines.append(text); self.lock.unlock() },
                         status: { text in self.lock.lock(); self.statuses.append(text); self.lock.unlock() })
        }
    }

    func testFormats() {
        XCTAssertEqual(ProgressMeter.grouped(0), "0")
        XCTAssertEqual(ProgressMeter.grouped(999), "999")
        XCTAssertEqual(ProgressMeter.grouped(1_000), "1,000")
        XCTAssertEqual(ProgressMeter.grouped(1_234_567), "1,234,567")
        XCTAssertEqual(ProgressMeter.rate(3.14159), "3.14")
        XCTAssertEqual(ProgressMeter.rate(38.25), "38.2")
        XCTAssertEqual(ProgressMeter.rate(1_234.6), "1,235")
        XCTAssertEqual(ProgressMeter.clock(42), "0:42")
        XCTAssertEqual(ProgressMeter.clock(725), "12:05")
        XCTAssertEqual(ProgressMeter.clock(3_750), "1:02:30")
        XCTAssertEqual(ProgressMeter.clock(.infinity), "?")
    }

    func testStatusSaysDoneTotalRateAndTimeLeft() throws {
        let collected = Collected()
        let meter = ProgressMeter(collected.sink, stage: "activations", total: 5_000, unit: "images")
        XCTAssertEqual(collected.statuses, ["activations: 0/5,000 images"])
        meter.advance(by: 1_200)
        let status = try XCTUnwrap(collected.statuses.last)
        // activations: 1,200/5,000 images, R images/s, M:SS left, where M:SS is 3,800 / R.
        let pattern = #"^activations: 1,200/5,000 images, ([0-9,.]+) images/s, ([0-9:]+) left$"#
        let match = try XCTUnwrap(status.range(of: pattern, options: .regularExpression), status)
        XCTAssertEqual(match, status.startIndex..<status.endIndex)
        meter.advance(by: 3_800)
        XCTAssertTrue(collected.statuses.last!.hasPrefix("activations: 5,000/5,000 images, "), collected.statuses.last!)
        XCTAssertFalse(collected.statuses.last!.contains("left"))
        meter.finish()
        XCTAssertEqual(collected.lines.count, 1)
        XCTAssertTrue(collected.lines[0].hasPrefix("activations: 5,000 images in "), collected.lines[0])
        XCTAssertTrue(collected.lines[0].hasSuffix(" images/s"), collected.lines[0])
    }

    /// Many threads advancing at once lose no count; statuses are thinned to 4 a second.
    func testConcurrentAdvancesAddUp() {
        let collected = Collected()
        let meter = ProgressMeter(collected.sink, stage: "s", total: 100_000, unit: "u")
        DispatchQueue.concurrentPerform(iterations: 8) { _ in for _ in 0..<12_500 { meter.advance(by: 1) } }
        XCTAssertEqual(meter.done, 100_000)
        XCTAssertLessThan(collected.statuses.count, 50)
        meter.update(done: 7)
        XCTAssertEqual(meter.done, 7)
    }
}
