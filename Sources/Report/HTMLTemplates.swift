import Datasets
import Foundation
import Mustache
import Numerics

/// The report's templates (`Templates/` at the top of the repository, shipped as a
/// resource): Mustache pages plus the stylesheet and script copied as they are. A user can
/// point `--templates` at a copy to restyle the report.
public struct HTMLTemplates {
    public static let bundleName = "cnn-inte_Report.resources"
    /// `.process` flattens the folder into the bundle's top level.
    public static let folderName = "."
    public static let pages = ["layout-head", "layout-foot", "index", "instance", "cluster"]
    public static let assets = ["style.css", "report.js"]
    /// Pages added after users may have copied the templates, the optional pages'
    /// (`ReportPages.registered`): taken from the built-in ones when a `--templates` folder
    /// lacks them.
    static var laterPages: [String] { ReportPages.templates }

    public let folder: String
    let library: MustacheLibrary

    /// Loads the templates from `folder`, or from the resources shipped with the tool.
    public init(folder: String? = nil) throws {
        let chosen: String
        if let folder {
            chosen = folder
        } else {
            let searched = Resources.candidates(bundleName: Self.bundleName, folderName: Self.folderName)
            guard let found = searched.first(where: { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("index.mustache")) }) else {
                throw ReportError.templates(path: searched.first ?? Self.folderName, problem: "the report templates are missing (looked in \(searched.joined(separator: ", "))); pass --templates DIR")
            }
            chosen = found
        }
        var library = MustacheLibrary()
        var texts: [String: String] = [:]
        func register(_ name: String, from path: String) throws {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ReportError.templates(path: path, problem: "missing or not UTF-8 text")
            }
            do { try library.register(text, named: name) } catch {
                throw ReportError.templates(path: path, problem: "is not a valid Mustache template (\(Self.describe(error)))")
            }
            texts[name] = text
        }
        for name in Self.pages { try register(name, from: (chosen as NSString).appendingPathComponent(name + ".mustache")) }
        let builtIn = Resources.candidates(bundleName: Self.bundleName, folderName: Self.folderName)
        for name in Self.laterPages {
            if let path = ([chosen] + builtIn).map({ ($0 as NSString).appendingPathComponent(name + ".mustache") })
                .first(where: { FileManager.default.fileExists(atPath: $0) }) {
                try register(name, from: path)
            }
        }
        // swift-mustache follows partials without a depth limit: a cycle would recurse
        // until the stack overflows, so it is refused before anything is rendered.
        if let cycle = Self.partialCycle(texts) {
            throw ReportError.templates(path: (chosen as NSString).appendingPathComponent(cycle[0] + ".mustache"),
                                        problem: "includes itself through its partials (\(cycle.joined(separator: " -> "))); recursive templates are not supported")
        }
        for asset in Self.assets where !FileManager.default.fileExists(atPath: (chosen as NSString).appendingPathComponent(asset)) {
            throw ReportError.templates(path: (chosen as NSString).appendingPathComponent(asset), problem: "missing")
        }
        self.folder = chosen
        self.library = library
    }

    /// A parse error as one readable phrase: where, and what.
    static func describe(_ error: Error) -> String {
        guard let e = error as? MustacheTemplate.ParserError else { return "\(error)" }
        let what: String
        switch e.error as? MustacheTemplate.Error {
        case .sectionCloseNameIncorrect?: what = "a section is closed under another name than it was opened with"
        case .unfinishedName?: what = "a tag is not closed"
        case .expectedSectionEnd?: what = "a section is never closed"
        case .invalidSetDelimiter?: what = "a set-delimiter tag is malformed"
        default: what = "\(e.error)"
        }
        return "line \(e.context.lineNumber), column \(e.context.columnNumber): \(what)"
    }

    /// The partials (`{{> name}}`, `{{< name}}`) each template names.
    static func partials(_ text: String) -> [String] {
        var names: [String] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let first = rest.first, first == ">" || first == "<", let close = rest.range(of: "}}") else { continue }
            names.append(rest[rest.index(after: rest.startIndex)..<close.lowerBound].trimmingCharacters(in: .whitespaces))
            rest = rest[close.upperBound...]
        }
        return names
    }

    /// A chain of templates that leads back to its first one, if there is one.
    static func partialCycle(_ texts: [String: String]) -> [String]? {
        let edges = texts.mapValues(partials)
        var state: [String: Int] = [:]  // 1: on the current path, 2: done
        func visit(_ name: String, _ path: [String]) -> [String]? {
            if state[name] == 1 { return Array(path[path.firstIndex(of: name)!...]) + [name] }
            if state[name] == 2 || texts[name] == nil { return nil }
            state[name] = 1
            for next in edges[name] ?? [] { if let cycle = visit(next, path + [name]) { return cycle } }
            state[name] = 2
            return nil
        }
        for name in texts.keys.sorted() { if let cycle = visit(name, []) { return cycle } }
        return nil
    }

    /// Whether page `name` was found (a later page may be missing from an old copy).
    public func has(_ name: String) -> Bool { library.getTemplate(named: name) != nil }

    /// A page through its template (`PageContext.template`).
    func render<Body: PageContext>(_ page: Page<Body>) -> String {
        library.render(page, withTemplate: Body.template) ?? ""
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
