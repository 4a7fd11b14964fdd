import Foundation

/// The probability that CNN-INTE's explanation of an instance agrees with the CNN,
/// estimated from `CredibilitySignals` by a logistic regression fitted on calibration data
/// the forests never trained on: fresh CNN-labelled augmented copies of the training
/// images (docs/METHOD.md, section 7).
///
/// Why a logistic fit and not isotonic regression on the vote margin: with 1-3% of
/// disagreements the calibration set holds a few dozen (mnist5k) to a few hundred
/// (Fashion-MNIST) negatives; six parameters fit them stably, give a smooth credibility
/// that never ties whole blocks of instances, and use more than the margin. Measured on
/// both data sets, isotonic regression on the margin or on the logistic score calibrated
/// no better (docs/EXPERIMENTS.md).
public struct CredibilityModel: Codable, Equatable, Sendable {
    /// One weight per signal (`CredibilitySignals.names`), then the intercept.
    public var weights: [Double]
    public var signals: [String]
    /// How many calibration instances it was fitted on, and their agreement rate.
    public var calibrationSize: Int
    public var calibrationAgreement: Double
    /// The signals the fit kept (the others weigh 0): all of them, or the margin alone when
    /// it ranked the calibration data better out of fold (nil in files from before).
    public var selected: [String]? = nil

    /// JSON keys as the files have always had them.
    enum CodingKeys: String, CodingKey {
        case weights, signals, calibrationSize = "calibration_size", calibrationAgreement = "calibration_agreement", selected
    }

    public func credibility(_ s: CredibilitySignals) -> Double { Self.score(s.vector, weights) }

    /// Folds of the cross-validation that chooses the signals.
    static let folds = 5

    /// Fits with two guards, both found needed on mnist5k, whose calibration copies hold only
    /// 20-40 disagreements: there the unconstrained five-weight fit sometimes gave a signal
    /// the wrong sign (the level-2 majority agreeing *lowering* the credibility, weight -9.7,
    /// against +10 on the top share it is collinear with) and ranked the test set far worse
    /// than the margin alone (AUROC 0.87 and 0.83 against 0.994 and 0.996 on two runs of the
    /// grid; docs/EXPERIMENTS.md).
    /// 1. Signs: each signal may only move the credibility its own way
    ///    (`CredibilitySignals.directions`); a signal fitted the wrong way is dropped and the
    ///    rest refitted, the most wrong first, until none is.
    /// 2. Out of fold: that fit is kept only if it ranks the calibration data better than
    ///    the margin alone does (5 folds, instance i in fold i mod 5); else the margin alone.
    public static func fit(_ signals: [CredibilitySignals], agrees: [Bool], ridge: Double = 1e-3, iterations: Int = 100) -> CredibilityModel {
        precondition(signals.count == agrees.count && !signals.isEmpty, "CredibilityModel: no calibration data")
        let x = signals.map(\.vector)
        func signed(_ rows: [[Double]], _ agrees: [Bool]) -> (columns: [Int], weights: [Double]) {
            var columns = Array(CredibilitySignals.names.indices)
            while true {
                let w = weights(rows, agrees: agrees, columns: columns, ridge: ridge, iterations: iterations)
                let wrong = columns.filter { w[$0] * CredibilitySignals.directions[$0] < 0 }
                guard let worst = wrong.max(by: { abs(w[$0]) < abs(w[$1]) }), columns.count > 1 else { return (columns, w) }
                columns.removeAll { $0 == worst }
            }
        }
        var (chosen, w) = signed(x, agrees)
        if chosen != [0] && signals.count >= 2 * folds {
            func outOfFold(_ fit: ([[Double]], [Bool]) -> [Double]) -> Double {
                var scores = [Double](repeating: 0, count: x.count)
                for fold in 0..<folds {
                    let train = x.indices.filter { $0 % folds != fold }, held = x.indices.filter { $0 % folds == fold }
                    let w = fit(train.map { x[$0] }, train.map { agrees[$0] })
                    for i in held { scores[i] = score(x[i], w) }
                }
                return CredibilityFigures.auroc(scores, agrees) ?? 0
            }
            let marginOnly = { (rows: [[Double]], agrees: [Bool]) in weights(rows, agrees: agrees, columns: [0], ridge: ridge, iterations: iterations) }
            if outOfFold({ signed($0, $1).weights }) <= outOfFold(marginOnly) {
                (chosen, w) = ([0], marginOnly(x, agrees))
            }
        }
        var model = CredibilityModel(weights: w, signals: CredibilitySignals.names, calibrationSize: signals.count,
                                     calibrationAgreement: Double(agrees.filter { $0 }.count) / Double(agrees.count))
        model.selected = chosen.map { CredibilitySignals.names[$0] }
        return model
    }

    /// The logistic score of signal vector `x` under `weights` (one per signal, then the intercept).
    static func score(_ x: [Double], _ weights: [Double]) -> Double {
        var z = weights[x.count]
        for i in 0..<x.count { z += weights[i] * x[i] }
        return 1 / (1 + exp(-z))
    }

    /// The weights of a logistic fit on the signals `columns` of `rows` (the others get 0),
    /// then the intercept, by Newton's method (iteratively reweighted least squares) with a
    /// small ridge penalty on the weights, which keeps them finite when the classes
    /// separate; each step is halved until the penalised loss falls, so collinear signals
    /// cannot make it diverge.
    static func weights(_ rows: [[Double]], agrees: [Bool], columns: [Int], ridge: Double, iterations: Int) -> [Double] {
        let x = rows.map { row in columns.map { row[$0] } + [1] }
        let d = x[0].count
        var w = [Double](repeating: 0, count: d)
        // Start from the intercept of the agreement rate, which Newton's steps refine.
        let rate = min(max(Double(agrees.filter { $0 }.count) / Double(agrees.count), 1e-4), 1 - 1e-4)
        w[d - 1] = log(rate / (1 - rate))
        /// Mean negative log-likelihood plus the ridge term (`ridge` weighs the squared
        /// weights against the summed, not the mean, log-likelihood).
        func loss(_ w: [Double]) -> Double {
            var total = 0.0
            for (row, y) in zip(x, agrees) {
                var z = 0.0
                for j in 0..<d { z += w[j] * row[j] }
                // log(1 + e^-z) for an agreement, log(1 + e^z) otherwise, computed stably.
                let m = y ? -z : z
                total += max(m, 0) + log1p(exp(-abs(m)))
            }
            var penalty = 0.0
            for j in 0..<(d - 1) { penalty += w[j] * w[j] }
            return (total + ridge / 2 * penalty) / Double(x.count)
        }
        var current = loss(w)
        let n = Double(x.count)
        for _ in 0..<iterations {
            var gradient = [Double](repeating: 0, count: d)
            var hessian = [Double](repeating: 0, count: d * d)
            for (row, y) in zip(x, agrees) {
                var z = 0.0
                for j in 0..<d { z += w[j] * row[j] }
                let p = 1 / (1 + exp(-z)), weight = p * (1 - p)
                for j in 0..<d {
                    gradient[j] += (p - (y ? 1 : 0)) * row[j] / n
                    for k in 0..<d { hessian[j * d + k] += weight * row[j] * row[k] / n }
                }
            }
            for j in 0..<(d - 1) {
                gradient[j] += ridge * w[j] / n
                hessian[j * d + j] += ridge / n
            }
            hessian[(d - 1) * d + (d - 1)] += 1e-12
            guard let step = solve(hessian, gradient, size: d) else { break }
            var scale = 1.0, accepted = false
            for _ in 0..<40 {
                let trial = (0..<d).map { w[$0] - scale * step[$0] }
                let value = loss(trial)
                if value <= current {
                    accepted = current - value > 1e-14
                    w = trial
                    current = value
                    break
                }
                scale /= 2
            }
            if !accepted { break }
        }
        var full = [Double](repeating: 0, count: CredibilitySignals.names.count + 1)
        for (k, column) in columns.enumerated() { full[column] = w[k] }
        full[CredibilitySignals.names.count] = w[d - 1]
        return full
    }

    /// Solves `a x = b` for a small symmetric positive definite `a` (Gaussian elimination
    /// with partial pivoting); nil when singular.
    static func solve(_ a: [Double], _ b: [Double], size n: Int) -> [Double]? {
        var m = a, v = b
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<n where abs(m[r * n + col]) > abs(m[pivot * n + col]) { pivot = r }
            guard abs(m[pivot * n + col]) > 1e-300 else { return nil }
            if pivot != col {
                for k in 0..<n { m.swapAt(col * n + k, pivot * n + k) }
                v.swapAt(col, pivot)
            }
            for r in (col + 1)..<n {
                let f = m[r * n + col] / m[col * n + col]
                if f == 0 { continue }
                for k in col..<n { m[r * n + k] -= f * m[col * n + k] }
                v[r] -= f * v[col]
            }
        }
        var out = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = v[r]
            for k in (r + 1)..<n { s -= m[r * n + k] * out[k] }
            out[r] = s / m[r * n + r]
        }
        return out
    }

    /// From here a credibility is high; below `low` it is low (a shaky explanation).
    public static let high = 0.95, low = 0.8

    /// Words for a credibility, so no reader depends on colour alone.
    public static func words(_ credibility: Double) -> String {
        credibility >= high ? "high" : credibility >= low ? "moderate" : "low: a shaky explanation"
    }
}

/// How well credibilities rank and calibrate on the test set, against observed agreement.
public struct CredibilityFigures: Codable, Equatable, Sendable {
    public struct Bin: Codable, Equatable, Sendable {
        public var from: Double
        public var to: Double
        public var count: Int
        public var meanCredibility: Double?
        public var agreement: Double?

        /// JSON keys as the files have always had them.
        enum CodingKeys: String, CodingKey {
            case from, to, count, meanCredibility = "mean_credibility", agreement
        }
    }
    public struct CoveragePoint: Codable, Equatable, Sendable {
        /// Instances with credibility at least `threshold` are kept.
        public var threshold: Double
        public var coverage: Double
        public var fidelity: Double
    }

    /// Expected calibration error over 10 equal-width bins.
    public var ece: Double
    /// Area under the ROC curve of credibility for telling agreements from disagreements
    /// (ties count half); nil when every instance agrees or none does.
    public var auroc: Double?
    /// Fidelity among the most credible instances, at the lowest threshold that keeps at
    /// least 95% (98%) of them, and the share actually kept (ties at the threshold stay in).
    public var selectiveFidelity95: Double
    public var selectiveCoverage95: Double
    public var selectiveFidelity98: Double
    public var selectiveCoverage98: Double
    public var reliability: [Bin]
    public var coverageCurve: [CoveragePoint]
    /// The share of instances whose credibility is high (at least 0.95), and the fidelity
    /// among them (nil when none is).
    public var highCoverage: Double = 0
    public var highFidelity: Double?

    /// JSON keys as the files have always had them.
    enum CodingKeys: String, CodingKey {
        case ece, auroc, selectiveFidelity95 = "selective_fidelity_95", selectiveCoverage95 = "selective_coverage_95",
             selectiveFidelity98 = "selective_fidelity_98", selectiveCoverage98 = "selective_coverage_98", reliability,
             coverageCurve = "coverage_curve", highCoverage = "high_coverage", highFidelity = "high_fidelity"
    }

    public init(ece: Double, auroc: Double?, selectiveFidelity95: Double, selectiveCoverage95: Double,
                selectiveFidelity98: Double, selectiveCoverage98: Double, reliability: [Bin], coverageCurve: [CoveragePoint]) {
        self.ece = ece
        self.auroc = auroc
        self.selectiveFidelity95 = selectiveFidelity95
        self.selectiveCoverage95 = selectiveCoverage95
        self.selectiveFidelity98 = selectiveFidelity98
        self.selectiveCoverage98 = selectiveCoverage98
        self.reliability = reliability
        self.coverageCurve = coverageCurve
    }

    public init(credibility c: [Double], agrees: [Bool]) {
        precondition(c.count == agrees.count && !c.isEmpty, "CredibilityFigures: no instances")
        let n = Double(c.count)
        var bins: [Bin] = []
        var ece = 0.0
        for b in 0..<10 {
            let lo = Double(b) / 10, hi = Double(b + 1) / 10
            let members = c.indices.filter { c[$0] >= lo && (b == 9 ? c[$0] <= hi : c[$0] < hi) }
            guard !members.isEmpty else { bins.append(Bin(from: lo, to: hi, count: 0)); continue }
            let mean = members.reduce(0.0) { $0 + c[$1] } / Double(members.count)
            let agreement = Double(members.filter { agrees[$0] }.count) / Double(members.count)
            ece += Double(members.count) / n * abs(mean - agreement)
            bins.append(Bin(from: lo, to: hi, count: members.count, meanCredibility: mean, agreement: agreement))
        }
        self.ece = ece
        auroc = Self.auroc(c, agrees)
        (selectiveFidelity95, selectiveCoverage95) = Self.selective(c, agrees, keep: 0.95)
        (selectiveFidelity98, selectiveCoverage98) = Self.selective(c, agrees, keep: 0.98)
        reliability = bins
        let high = c.indices.filter { c[$0] >= CredibilityModel.high }
        highCoverage = Double(high.count) / n
        highFidelity = high.isEmpty ? nil : Double(high.filter { agrees[$0] }.count) / Double(high.count)
        // Every 5% of coverage, and every 1% from 90% up, where the thresholds matter.
        let shares = stride(from: 0.05, to: 0.9, by: 0.05).map { $0 } + (90...100).map { Double($0) / 100 }
        coverageCurve = shares.map { keep in
            let (f, cov) = Self.selective(c, agrees, keep: keep)
            return CoveragePoint(threshold: Self.threshold(c, keep: keep), coverage: cov, fidelity: f)
        }
    }

    /// The credibility of the instance at rank `ceil(keep * n)`, most credible first.
    static func threshold(_ c: [Double], keep: Double) -> Double {
        let sorted = c.sorted(by: >)
        let k = max(1, min(sorted.count, Int((keep * Double(sorted.count)).rounded(.up))))
        return sorted[k - 1]
    }

    static func selective(_ c: [Double], _ agrees: [Bool], keep: Double) -> (fidelity: Double, coverage: Double) {
        let t = threshold(c, keep: keep)
        let kept = c.indices.filter { c[$0] >= t }
        return (Double(kept.filter { agrees[$0] }.count) / Double(kept.count), Double(kept.count) / Double(c.count))
    }

    /// Mann-Whitney: the chance a random agreement has higher credibility than a random
    /// disagreement, ties counting half.
    static func auroc(_ c: [Double], _ agrees: [Bool]) -> Double? {
        let positives = agrees.filter { $0 }.count, negatives = agrees.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = c.indices.sorted { c[$0] < c[$1] }
        var rankSum = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && c[order[j + 1]] == c[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j where agrees[order[t]] { rankSum += rank }
            i = j + 1
        }
        return (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
    }
}
