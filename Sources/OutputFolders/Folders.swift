import Foundation
import Numerics

public enum Folders {
    public struct Gone: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path): its staging folder is gone (the run was interrupted)" }
    }

    /// Creates `path` and its missing parents, but never a staging folder itself
    /// (`.<kind>.partial-<pid>`): one that Ctrl-C or SIGTERM removed while a writer was
    /// still at work stays removed, instead of coming back without its marker (which the
    /// next run could not tell from a folder of the user's).
    public static func make(_ path: String) throws {
        var missing: [String] = []
        var current = (path as NSString).standardizingPath
        while !current.isEmpty, current != "/", !FileManager.default.fileExists(atPath: current) {
            if OutputFolder.stagingKind((current as NSString).lastPathComponent) != nil { throw Gone(path: path) }
            missing.append(current)
            current = (current as NSString).deletingLastPathComponent
        }
        for folder in missing.reversed() {
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false) } catch {
                if !FileManager.default.fileExists(atPath: folder) { throw error }  // made meanwhile by another writer: fine
            }
        }
    }
}
