import Foundation
import Numerics

/// The diagrams drawn so far by the report's main process and its workers, as one
/// progress line. Each worker writes its count to a small file in the staging folder
/// every `every` diagrams (renamed into place, so it is never read half-written); the
/// main process adds them up when it says how far it is.
final class ReportProgress {
    let meter: ProgressMeter
    let counts: [String]
    private var lastPoll = 0.0
    private var workers: [Int]

    init(_ sink: ProgressSink, total: Int, reportFolder: String, workers: Int) {
        meter = ProgressMeter(sink, stage: "report: diagrams (PNG, SVG, PDF, DOT, text) and instance pages", total: total, unit: "diagrams")
        counts = (1..<max(1, workers + 1)).map { Self.countFile(reportFolder: reportFolder, shard: $0) }
        self.workers = counts.map { _ in 0 }
    }

    static let every = 25

    static func countFile(reportFolder: String, shard: Int) -> String {
        (reportFolder as NSString).appendingPathComponent(".worker-\(shard).done")
    }

    /// A worker's count, as it writes it.
    static func write(_ done: Int, reportFolder: String, shard: Int) {
        let path = countFile(reportFolder: reportFolder, shard: shard), temporary = FileWriter.temporaryName(for: path)
        guard (try? FileWriter.write(String(done), to: temporary)) != nil else { return }
        try? FileWriter.moveIntoPlace(temporary, as: path)
    }

    /// The main process has drawn `done`; the workers' counts are read at most twice a second.
    func main(_ done: Int) {
        let now = meter.seconds
        if now - lastPoll >= 0.5 || workers.isEmpty {
            lastPoll = now
            for (i, path) in counts.enumerated() {
                if let text = try? String(contentsOfFile: path, encoding: .utf8), let n = Int(text) { workers[i] = max(workers[i], n) }
            }
        }
        meter.update(done: done + workers.reduce(0, +))
    }

    func removeCountFiles() { for path in counts { try? FileManager.default.removeItem(atPath: path) } }
}
