import Foundation

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
    static func candidates() -> [String] { candidates(bundleName: bundleName, folderName: folderName) }

    /// The folders a resource bundle may sit in, found once: Foundation's `Bundle.allBundles`
    /// leaks the array it builds on every call after the first (LeakSanitizer, in the
    /// report process, which looks for two template sets).
    static let roots: [String] = {
        var roots: [String] = []
        if let exe = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent().path {
            roots.append(exe)
        }
        roots.append(Bundle.main.bundleURL.path)
        if let resources = Bundle.main.resourceURL?.path { roots.append(resources) }
        // Tests run from an .xctest bundle inside the build folder.
        for bundle in Bundle.allBundles { roots.append(bundle.bundleURL.deletingLastPathComponent().path) }
        return roots
    }()

    /// Where SwiftPM's resource bundle `bundleName` may hold `folderName`: beside the
    /// executable, in the main bundle, or beside a test bundle. Shared with the report's templates.
    public static func candidates(bundleName: String, folderName: String) -> [String] {
        var seen = Set<String>()
        return roots.compactMap { root in
            let path = ((root as NSString).appendingPathComponent(bundleName) as NSString).appendingPathComponent(folderName)
            return seen.insert(path).inserted ? path : nil
        }
    }

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
