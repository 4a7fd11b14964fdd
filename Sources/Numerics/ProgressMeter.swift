import Foundation

/// One stage's progress: counts the work done and says, through a `ProgressSink`, how far
/// the stage is, how fast it goes and how long it has left ("activations of the training
/// images: 1,200/5,000 images, 38.2 images/s, 1:39 left"), then what it took. The sink
/// decides what becomes of it (an updating line on a terminal, plain lines in a log,
/// nothing under `--quiet`).
public final class ProgressMeter: @unchecked Sendable {
    public let stage: String
    public let total: Int
    public let unit: String
    private let sink: ProgressSink
    private let started = DispatchTime.now().uptimeNanoseconds
    private var lastStatus: UInt64 = 0
    private let lock = NSLock()
    public private(set) var done = 0

    /// Starts the stage; says it has started.
    public init(_ sink: ProgressSink, stage: String, total: Int, unit: String) {
        self.sink = sink
        self.stage = stage
        self.total = total
        self.unit = unit
        sink.status("\(stage): 0/\(Self.grouped(total)) \(unit)")
    }

    /// Seconds since the stage started.
    public var seconds: Double { Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 }

    /// Units per second so far.
    public var rate: Double { Double(done) / max(seconds, 1e-9) }

    /// `count` more units done (safe from several threads); says so at most 4 times a second.
    public func advance(by count: Int) {
        lock.lock()
        done += count
        let now = DispatchTime.now().uptimeNanoseconds
        let due = now - lastStatus >= 250_000_000 || done >= total
        if due { lastStatus = now }
        let text = due ? status : nil
        lock.unlock()
        if let text { sink.status(text) }
    }

    /// The count done is now `done` (a count kept elsewhere, e.g. summed over processes).
    public func update(done: Int) {
        lock.lock()
        self.done = done
        lock.unlock()
        advance(by: 0)
    }

    /// "1,200/5,000 images, 38.2 images/s, 1:39 left".
    public var status: String {
        let rate = self.rate
        var text = "\(stage): \(Self.grouped(done))/\(Self.grouped(total)) \(unit)"
        guard done > 0 else { return text }
        text += ", " + Self.rate(rate) + " \(unit)/s"
        if done < total { text += ", " + Self.clock(Double(total - done) / max(rate, 1e-9)) + " left" }
        return text
    }

    /// Ends the stage with a line that stays ("...: 5,000 images in 131.0 s, 38.2 images/s");
    /// returns its seconds.
    @discardableResult
    public func finish() -> Double {
        let seconds = self.seconds
        sink.line(String(format: "%@: %@ %@ in %.1f s, %@ %@/s", stage, Self.grouped(done), unit, seconds, Self.rate(Double(done) / max(seconds, 1e-9)), unit))
        return seconds
    }

    /// 12,345.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, character) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (n < 0 ? "-" : "") + out
    }

    /// 3 significant figures below 100, whole numbers above.
    static func rate(_ value: Double) -> String {
        value >= 100 ? grouped(Int(value.rounded())) : String(format: value >= 10 ? "%.1f" : "%.2f", value)
    }

    /// "0:42", "12:05", "1:02:30".
    static func clock(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
