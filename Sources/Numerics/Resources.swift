import Foundation

/// SwiftPM resource bundles, wherever a build put them: the embedded mnist5k (Datasets)
/// and the report's templates (Report) are found the same way.
public enum Resources {
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
    /// executable, in the main bundle, or beside a test bundle. The embedded data and the report's templates.
    public static func candidates(bundleName: String, folderName: String) -> [String] {
        var seen = Set<String>()
        return roots.compactMap { root in
            let path = ((root as NSString).appendingPathComponent(bundleName) as NSString).appendingPathComponent(folderName)
            return seen.insert(path).inserted ? path : nil
        }
    }
}
