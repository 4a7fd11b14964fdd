import Foundation

/// Resident memory of this process, from /proc/self/status.
public enum Memory {
    /// Peak resident set (VmHWM), MiB.
    public static func peakResidentMiB() -> Double { field("VmHWM") }
    /// Current resident set (VmRSS), MiB.
    public static func residentMiB() -> Double { field("VmRSS") }

    private static func field(_ name: String) -> Double {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let digits = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
            return digits / 1024  // kB -> MiB
        }
        return 0
    }
}
