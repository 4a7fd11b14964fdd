import CGraphviz
import Foundation

/// Errors from Graphviz. Its warnings count as errors: a missing image, for one, is only
/// a warning to Graphviz but leaves a hole in the diagram.
public enum GraphvizError: Error, CustomStringConvertible, Equatable {
    case parse(messages: [String])
    case layout(messages: [String])
    case render(format: String, messages: [String])
    case write(path: String, problem: String)

    public var description: String {
        switch self {
        case let .parse(messages): return "Graphviz could not read the DOT text: " + Self.join(messages)
        case let .layout(messages): return "Graphviz layout failed: " + Self.join(messages)
        case let .render(format, messages): return "Graphviz \(format) rendering failed: " + Self.join(messages)
        case let .write(path, problem): return "\(path): \(problem)"
        }
    }

    private static func join(_ messages: [String]) -> String {
        messages.isEmpty ? "(no message)" : messages.joined(separator: " ")
    }
}

/// Collects what Graphviz reports through agerr. Only touched while `Graphviz.lock` is held.
private nonisolated(unsafe) var capturedMessages: [String] = []

/// The agseterrf hook: every Graphviz warning or error lands here instead of on stderr.
private let captureMessage: @convention(c) (UnsafeMutablePointer<CChar>?) -> Int32 = { text in
    guard let text else { return 0 }
    let message = String(cString: text).trimmingCharacters(in: .whitespacesAndNewlines)
    if !message.isEmpty { capturedMessages.append(message) }
    return 0
}

/// In-process Graphviz: DOT text in, PNG/PDF/SVG bytes out, through libgvc and its cairo
/// plugin. Never spawns `dot` (about 30 ms a file against a few ms here).
///
/// Graphviz is not thread-safe, context creation included, so one process-wide lock
/// guards every call and one context is reused for the life of the process. To use
/// several cores, shard the work across processes.
public final class Graphviz: @unchecked Sendable {
    /// Output formats, each mapped to the renderer that produces it.
    public enum Format: String, CaseIterable, Sendable {
        case png, pdf, svg
        /// Graphviz's `format:renderer` string: cairo for PNG and PDF; the core SVG
        /// renderer, which writes text as text.
        var graphvizName: String {
            switch self {
            case .png: return "png:cairo"
            case .pdf: return "pdf:cairo"
            case .svg: return "svg"
            }
        }
    }

    public static let shared = Graphviz()
    private static let lock = NSLock()
    private let context: OpaquePointer

    private init() {
        Graphviz.lock.lock()
        defer { Graphviz.lock.unlock() }
        agseterr(AGWARN)
        _ = agseterrf(captureMessage)
        guard let context = gvContext() else { fatalError("gvContext() returned NULL: Graphviz is unusable") }
        self.context = context
    }

    /// Lays out `dot` with the `dot` engine and renders it to `format`.
    /// `dpi` overrides the graph's resolution (PNG pixel size scales with it).
    public func render(dot: String, format: Format, dpi: Double? = nil) throws -> [UInt8] {
        Graphviz.lock.lock()
        defer { Graphviz.lock.unlock() }
        capturedMessages.removeAll(keepingCapacity: true)
        _ = agreseterrors()

        guard let graph = dot.withCString({ agmemread($0) }) else {
            throw GraphvizError.parse(messages: capturedMessages)
        }
        defer { agclose(graph) }
        if !capturedMessages.isEmpty { throw GraphvizError.parse(messages: capturedMessages) }
        if let dpi {
            setGraphAttribute(graph, name: "dpi", value: String(format: "%g", dpi))
        }
        guard gvLayout(context, graph, "dot") == 0, capturedMessages.isEmpty else {
            throw GraphvizError.layout(messages: capturedMessages)
        }
        defer { gvFreeLayout(context, graph) }

        var result: UnsafeMutablePointer<CChar>?
        var length: UInt32 = 0
        let status = gvRenderData(context, graph, format.graphvizName, &result, &length)
        defer { if let result { gvFreeRenderData(result) } }
        guard status == 0, let result, capturedMessages.isEmpty else {
            throw GraphvizError.render(format: format.rawValue, messages: capturedMessages)
        }
        return result.withMemoryRebound(to: UInt8.self, capacity: Int(length)) {
            Array(UnsafeBufferPointer(start: $0, count: Int(length)))
        }
    }

    /// Renders to a file, written to a temporary name and renamed when complete.
    public func render(dot: String, format: Format, dpi: Double? = nil, to path: String) throws {
        let bytes = try render(dot: dot, format: format, dpi: dpi)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw GraphvizError.write(path: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }

    /// cgraph copies attribute names and values (agstrdup) but takes them as `char *`.
    private func setGraphAttribute(_ graph: UnsafeMutablePointer<Agraph_t>, name: String, value: String) {
        let n = strdup(name), v = strdup(value), d = strdup("")
        defer { free(n); free(v); free(d) }
        _ = agsafeset(graph, n, v, d)
    }
}
