import Foundation
import Numerics

/// The mnist5k sample shipped inside the package (SwiftPM resource bundle
/// `cnn-inte_Datasets.resources`), so the tool runs with no download and no flags.
///
/// Located by hand rather than through `Bundle.module`, whose generated accessor
/// calls fatalError when the bundle is missing: a user who copied the binary elsewhere
/// deserves a message naming `--data`, not a crash.
public enum EmbeddedData {
    public static let bundleName = "cnn-inte_Datasets.resources"
    public static let folderName = "mnist5k"

    /// Folders searched, in order: beside the executable, the main bundle's resources,
    /// and the build folders SwiftPM uses for tests.
    static func candidates() -> [String] { Resources.candidates(bundleName: bundleName, folderName: folderName) }

    /// The folder holding the four mnist5k IDX files, SHA256SUMS and SOURCE.md.
    public static func folder() throws -> String {
        let searched = candidates()
        for path in searched where FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent("SHA256SUMS")) {
            return path
        }
        throw DatasetError.embeddedMissing(searched: searched)
    }

    /// The checksums published with the sample: file name -> SHA-256 hex.
    public static func publishedChecksums(in folder: String) -> [String: String] {
        let path = (folder as NSString).appendingPathComponent("SHA256SUMS")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var sums: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { sums[String(parts[1])] = String(parts[0]) }
        }
        return sums
    }
}
