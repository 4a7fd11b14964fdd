import Datasets
import Foundation
import Mustache

/// The report's templates (`Templates/` at the top of the repository, shipped as a
/// resource): Mustache pages plus the stylesheet and script copied as they are. A user can
/// point `--templates` at a copy to restyle the report.
public struct HTMLTemplates {
    public static let bundleName = "cnn-inte_Report.resources"
    /// `.process` flattens the folder into the bundle's top level.
    public static let folderName = "."
    public static let pages = ["layout-head", "layout-foot", "index", "instance", "cluster"]
    public static let assets = ["style.css", "report.js"]

    public let folder: String
    let library: MustacheLibrary

    /// Loads the templates from `folder`, or from the resources shipped with the tool.
    public init(folder: String? = nil) throws {
        let chosen: String
        if let folder {
            chosen = folder
        } else {
            let searched = EmbeddedData.candidates(bundleName: Self.bundleName, folderName: Self.folderName)
            guard let found = searched.first(where: { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("index.mustache")) }) else {
                throw ReportError.templates(path: searched.first ?? Self.folderName, problem: "the report templates are missing (looked in \(searched.joined(separator: ", "))); pass --templates DIR")
            }
            chosen = found
        }
        var library = MustacheLibrary()
        for name in Self.pages {
            let path = (chosen as NSString).appendingPathComponent(name + ".mustache")
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ReportError.templates(path: path, problem: "missing or not UTF-8 text")
            }
            do { try library.register(text, named: name) } catch {
                throw ReportError.templates(path: path, problem: "is not a valid Mustache template (\(error))")
            }
        }
        for asset in Self.assets where !FileManager.default.fileExists(atPath: (chosen as NSString).appendingPathComponent(asset)) {
            throw ReportError.templates(path: (chosen as NSString).appendingPathComponent(asset), problem: "missing")
        }
        self.folder = chosen
        self.library = library
    }

    public func render(_ page: String, _ object: [String: Any]) -> String {
        library.render(object, withTemplate: page) ?? ""
    }
}

public enum ReportError: Error, CustomStringConvertible, Equatable {
    case templates(path: String, problem: String)
    case write(path: String, problem: String)
    case worker(shard: Int, status: Int32)
    /// A worker's own one-line error, passed up so the user sees it once.
    case workerFailed(message: String)

    public var description: String {
        switch self {
        case let .templates(path, problem), let .write(path, problem): return "\(path): \(problem)"
        case let .worker(shard, status): return "report worker \(shard + 1) failed (exit status \(status))"
        case let .workerFailed(message): return message
        }
    }
}
