import Numerics
import XCTest
@testable import Interpretation

/// The credibility's figures on hand-computed cases, and its logistic fit recovering a
/// known model.
final class CredibilityTests: XCTestCase {
    func testFiguresByHand() throws {
        // Bins: 0.2 (disagrees), 0.6 (agrees), 0.9 x 3 (two agree).
        let c = [0.9, 0.9, 0.2, 0.6, 0.9], agrees = [true, false, false, true, true]
        let f = CredibilityFigures(credibility: c, agrees: agrees)
        // ECE = 1/5 |0.2 - 0| + 1/5 |0.6 - 1| + 3/5 |0.9 - 2/3| = 0.04 + 0.08 + 0.14
        XCTAssertEqual(f.ece, 0.26, accuracy: 1e-12)
        XCTAssertEqual(f.reliability.map(\.count), [0, 0, 1, 0, 0, 0, 1, 0, 0, 3])
        // AUROC: agreements {0.9, 0.6, 0.9} over disagreements {0.9, 0.2}: of the 6 pairs,
        // 3 won, 2 tied (half each), 1 lost -> 4 / 6.
        XCTAssertEqual(try XCTUnwrap(f.auroc), 4.0 / 6.0, accuracy: 1e-12)
        // Keeping 95% or 98% of 5 keeps all 5 (threshold 0.2).
        XCTAssertEqual(f.selectiveFidelity95, 0.6, accuracy: 1e-12)
        XCTAssertEqual(f.selectiveCoverage95, 1)
        // Keeping half: the 3rd most credible is 0.9, and ties at it stay in.
        let half = CredibilityFigures.selective(c, agrees, keep: 0.5)
        XCTAssertEqual(half.fidelity, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(half.coverage, 0.6, accuracy: 1e-12)
        XCTAssertNil(CredibilityFigures(credibility: [0.5, 0.7], agrees: [true, true]).auroc)
        XCTAssertEqual(f.coverageCurve.last?.coverage, 1)
    }

    func testLogisticFitRecoversAKnownModel() throws {
        // Agreement drawn with P = sigmoid(4 margin - 2 closeness + 0.5); the other signals
        // are noise the fit must leave near 0.
        let (signals, agrees) = Self.draw(20_000, seed: 5) { 4 * $0.margin - 2 * $0.closeness + 0.5 }
        let model = CredibilityModel.fit(signals, agrees: agrees)
        let expected = [4.0, 0, -2, 0, 0, 0.5]
        for (w, e) in zip(model.weights, expected) { XCTAssertEqual(w, e, accuracy: 0.25, "\(model.weights)") }
        XCTAssertEqual(model.calibrationSize, 20_000)
        // Closeness carries information, so the fit is more than the margin; the noise
        // signals fitted a hair the wrong way are dropped (weight 0, within the tolerance).
        let selected = try XCTUnwrap(model.selected)
        XCTAssertTrue(selected.contains("margin") && selected.contains("closeness"), "\(selected)")
        let s = CredibilitySignals(margin: 0.5, top: 0.5, closeness: 0.5, runnerUpShare: 0.5, level2Agrees: 1)
        XCTAssertEqual(model.credibility(s), 1 / (1 + exp(-(4 * 0.5 - 1 + 0.5))), accuracy: 0.03)
    }

    /// Few disagreements (as on mnist5k) and signals that are noise besides the margin:
    /// the out-of-fold comparison keeps the margin alone, so the credibility ranks exactly
    /// as the margin does.
    func testFewDisagreementsKeepTheMarginAlone() throws {
        let (signals, agrees) = Self.draw(1_000, seed: 9) { 12 * $0.margin - 1 }
        XCTAssertLessThan(agrees.filter { !$0 }.count, 120)
        let model = CredibilityModel.fit(signals, agrees: agrees)
        XCTAssertEqual(model.selected, ["margin"])
        XCTAssertEqual(Array(model.weights[1..<5]), [0, 0, 0, 0])
        XCTAssertGreaterThan(model.weights[0], 0)
        let credibility = signals.map(model.credibility)
        XCTAssertEqual(try XCTUnwrap(CredibilityFigures.auroc(credibility, agrees)),
                       try XCTUnwrap(CredibilityFigures.auroc(signals.map(\.margin), agrees)), accuracy: 1e-12)
    }

    /// A signal that, in the calibration data, moves agreement against its own direction
    /// (here the level-2 majority agreeing with the decision lowers it) is dropped rather
    /// than allowed to reorder explanations the wrong way.
    func testASignalFittedTheWrongWayIsDropped() throws {
        let (signals, agrees) = Self.draw(20_000, seed: 11) { 4 * $0.margin - 2 * $0.closeness - 1.5 * $0.level2Agrees + 1 }
        let model = CredibilityModel.fit(signals, agrees: agrees)
        let selected = try XCTUnwrap(model.selected)
        XCTAssertFalse(selected.contains("level2_agrees"), "\(selected)")
        XCTAssertEqual(model.weights[4], 0)
        XCTAssertTrue(selected.contains("closeness"), "\(selected)")
        XCTAssertLessThan(model.weights[2], 0)
    }

    /// `count` calibration instances with uniform signals (level-2 agreement a coin flip),
    /// each agreeing with probability sigmoid(`logit`).
    static func draw(_ count: Int, seed: UInt64, logit: (CredibilitySignals) -> Double) -> ([CredibilitySignals], [Bool]) {
        var rng = SplitMix64(seed: seed)
        var signals: [CredibilitySignals] = [], agrees: [Bool] = []
        for _ in 0..<count {
            let s = CredibilitySignals(margin: rng.nextUnit(), top: rng.nextUnit(), closeness: rng.nextUnit(),
                                       runnerUpShare: rng.nextUnit(), level2Agrees: rng.nextUnit() < 0.5 ? 1 : 0)
            signals.append(s)
            agrees.append(rng.nextUnit() < 1 / (1 + exp(-logit(s))))
        }
        return (signals, agrees)
    }

    func testWords() {
        XCTAssertEqual(CredibilityModel.words(0.97), "high")
        XCTAssertEqual(CredibilityModel.words(0.9), "moderate")
        XCTAssertEqual(CredibilityModel.words(0.5), "low: a shaky explanation")
    }
}
