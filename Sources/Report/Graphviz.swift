import CCairo
import CGraphviz
import Foundation

/// Errors from Graphviz. Its warnings count as errors: a missing image, for one, is only
/// a warning to Graphviz but leaves a hole in the diagram.
public enum GraphvizError: Error, CustomStringConvertible, Equatable {
    case parse(messages: [String])
    case layout(messages: [String])
    case render(format: String, messages: [String])

    public var description: String {
        switch self {
        case let .parse(messages): return "Graphviz could not read the DOT text: " + Self.join(messages)
        case let .layout(messages): return "Graphviz layout failed: " + Self.join(messages)
        case let .render(format, messages): return "Graphviz \(format) rendering failed: " + Self.join(messages)
        }
    }

    /// At most three messages of at most 200 characters each: Graphviz repeats itself
    /// (one warning per table cell), and an error is one readable line.
    private static func join(_ messages: [String]) -> String {
        guard !messages.isEmpty else { return "(no message)" }
        let shown = messages.prefix(3).map { $0.count > 200 ? String($0.prefix(200)) + "…" : $0 }
        return shown.joined(separator: " ") + (messages.count > 3 ? " (and \(messages.count - 3) more)" : "")
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
        try withLayout(dot: dot) { try $0.render(format, dpi: dpi) }
    }

    /// Parses and lays out `dot` once, then hands the laid-out graph to `body`, which may
    /// render it to several formats and draw it on Cairo pages. The lock is held
    /// throughout, so `body` must not call back into this Graphviz instance.
    /// Image names in the DOT should be paths that open as they are: Graphviz 2.42 reloads
    /// (and never frees) images it finds through `imagepath` (see `ReportLayout`).
    public func withLayout<T>(dot: String, _ body: (LaidOutGraph) throws -> T) throws -> T {
        Graphviz.lock.lock()
        defer { Graphviz.lock.unlock() }
        capturedMessages.removeAll(keepingCapacity: true)
        _ = agreseterrors()

        guard let graph = dot.withCString({ agmemread($0) }) else {
            throw GraphvizError.parse(messages: capturedMessages)
        }
        defer { agclose(graph) }
        if !capturedMessages.isEmpty { throw GraphvizError.parse(messages: capturedMessages) }
        guard gvLayout(context, graph, "dot") == 0, capturedMessages.isEmpty else {
            throw GraphvizError.layout(messages: capturedMessages)
        }
        defer { gvFreeLayout(context, graph) }
        return try body(LaidOutGraph(context: context, graph: graph))
    }

    /// A graph between layout and release; only valid inside `withLayout`'s body.
    public struct LaidOutGraph {
        let context: OpaquePointer
        let graph: UnsafeMutablePointer<Agraph_t>

        /// The drawing's size in points (1/72 inch), padding included.
        public var size: (width: Double, height: Double) {
            // After layout cgraph holds "llx lly urx ury"; after a DOT render, commas.
            let bb = (attribute("bb") ?? "").split(whereSeparator: { $0 == "," || $0 == " " }).compactMap { Double($0) }
            // Graphviz pads the drawing on every side: 4 points unless the graph says.
            let pad = 2 * (attribute("pad").flatMap(Double.init).map { $0 * 72 } ?? 4)
            guard bb.count == 4 else { return (0, 0) }
            return (bb[2] - bb[0] + pad, bb[3] - bb[1] + pad)
        }

        func attribute(_ name: String) -> String? {
            guard let value = name.withCString({ agget(graph, UnsafeMutablePointer(mutating: $0)) }) else { return nil }
            let text = String(cString: value)
            return text.isEmpty ? nil : text
        }

        /// Renders to `format`; `dpi` scales the PNG (vector formats are sized in points).
        public func render(_ format: Format, dpi: Double? = nil) throws -> [UInt8] {
            if format == .png { return try renderPNG(dpi: dpi ?? 96) }
            capturedMessages.removeAll(keepingCapacity: true)
            Graphviz.setAttribute(graph, name: "dpi", value: "72")
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

        /// Draws the diagram as vectors on `canvas` (a PDF page, say), scaled down to fit
        /// the box and centred in it horizontally, top-aligned. Returns the height used.
        @discardableResult
        public func draw(on canvas: CairoCanvas, x: Double, y: Double, width: Double, height: Double) throws -> Double {
            let (w, h) = size
            guard w > 0, h > 0 else { throw GraphvizError.render(format: "cairo page", messages: ["empty layout"]) }
            let scale = min(1, width / w, height / h)
            try draw(on: canvas, x: x + (width - w * scale) / 2, y: y, scale: scale)
            return h * scale
        }

        /// Draws the diagram on `canvas` with its top-left corner at (x, y), `scale` times
        /// its size in points.
        ///
        /// Graphviz's cairo renderer finishes the surface it drew on once its page ends, so
        /// it draws on a tee surface whose only branch is the canvas's surface: finishing
        /// the tee leaves the page open for what follows.
        public func draw(on canvas: CairoCanvas, x: Double, y: Double, scale: Double) throws {
            // A surface already in error (a full disk) would only make Graphviz's cairo
            // plugin print its own line on stderr.
            guard cairo_surface_status(canvas.surface) == CAIRO_STATUS_SUCCESS else {
                throw GraphvizError.render(format: "cairo page", messages: [String(cString: cairo_status_to_string(cairo_surface_status(canvas.surface)))])
            }
            capturedMessages.removeAll(keepingCapacity: true)
            Graphviz.setAttribute(graph, name: "dpi", value: "72")
            // The PDF device's default 36-point margin would shift the drawing off (x, y).
            Graphviz.setAttribute(graph, name: "margin", value: "0")
            guard let tee = cairo_tee_surface_create(canvas.surface) else {
                throw GraphvizError.render(format: "cairo page", messages: ["no tee surface"])
            }
            defer { cairo_surface_destroy(tee) }
            guard let cr = cairo_create(tee) else { throw GraphvizError.render(format: "cairo page", messages: ["no context"]) }
            // Keep our own reference: some Graphviz versions release the context they drew with.
            cairo_reference(cr)
            defer { cairo_destroy(cr); cairo_destroy(cr) }
            cairo_translate(cr, x, y)
            cairo_scale(cr, scale, scale)
            let status = gvRenderContext(context, graph, "pdf:cairo", UnsafeMutableRawPointer(cr))
            guard status == 0, capturedMessages.isEmpty, cairo_surface_status(canvas.surface) == CAIRO_STATUS_SUCCESS else {
                throw GraphvizError.render(format: "cairo page", messages: capturedMessages)
            }
        }

        /// Cairo's image surfaces stop at 32,767 pixels a side; past 2^26 pixels (256 MiB of
        /// RGBA) a picture is not worth the memory.
        public static let maximumPNGSide = 32_767.0
        public static let maximumPNGPixels = Double(1 << 26)

        /// The resolution a PNG at `dpi` is drawn at: `dpi`, or less when the picture would
        /// pass the limits above (a very large cluster tree at print resolution).
        public func pngDPI(_ dpi: Double) -> Double {
            let (w, h) = size
            guard w > 0, h > 0 else { return dpi }
            let scale = min(dpi / 72, Self.maximumPNGSide / w, Self.maximumPNGSide / h, (Self.maximumPNGPixels / (w * h)).squareRoot())
            return min(dpi, (scale * 72 * 100).rounded(.down) / 100)
        }

        /// A PNG at `dpi` (or `pngDPI(dpi)` when that is less): the diagram drawn on a
        /// white Cairo image surface, then encoded by `PNGEncoder` (fast, and it records
        /// the resolution).
        public func renderPNG(dpi requested: Double) throws -> [UInt8] {
            let (w, h) = size
            guard w > 0, h > 0 else { throw GraphvizError.render(format: "png", messages: ["empty layout"]) }
            let dpi = pngDPI(requested)
            let scale = dpi / 72
            let canvas = CairoPNG(width: Int((w * scale).rounded(.up)), height: Int((h * scale).rounded(.up)))
            canvas.fill(rectX: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
            try draw(on: canvas, x: 0, y: 0, scale: scale)
            return canvas.encodedPNG(dpi: dpi)
        }
    }

    /// cgraph copies attribute names and values (agstrdup) but takes them as `char *`.
    static func setAttribute(_ graph: UnsafeMutablePointer<Agraph_t>, name: String, value: String) {
        let n = strdup(name), v = strdup(value), d = strdup("")
        defer { free(n); free(v); free(d) }
        _ = agsafeset(graph, n, v, d)
    }
}
