import CCairo
import Foundation

public enum CairoError: Error, CustomStringConvertible, Equatable {
    case status(path: String, message: String)
    public var description: String {
        switch self {
        case let .status(path, message): return "\(path): \(message)"
        }
    }
}

/// An RGB colour with components in 0...1, parsed from `#RRGGBB`.
public struct RGB: Equatable, Sendable {
    public var red, green, blue: Double
    public init(red: Double, green: Double, blue: Double) {
        self.red = red
        self.green = green
        self.blue = blue
    }
    public init(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        let value = UInt32(digits, radix: 16) ?? 0
        self.init(red: Double((value >> 16) & 0xFF) / 255, green: Double((value >> 8) & 0xFF) / 255,
                  blue: Double(value & 0xFF) / 255)
    }
    public static let white = RGB(red: 1, green: 1, blue: 1)
    public static let black = RGB(red: 0, green: 0, blue: 0)
}

/// A Cairo drawing context on some surface. Owns both; all Cairo pointers stay in here.
public class CairoCanvas {
    let surface: OpaquePointer
    let cr: OpaquePointer
    public let width: Double
    public let height: Double

    init(surface: OpaquePointer, width: Double, height: Double) {
        self.surface = surface
        self.cr = cairo_create(surface)
        self.width = width
        self.height = height
        // Text drawn with every font option set: left to their defaults, Cairo takes them
        // from the font as fontconfig and Pango (Graphviz's) last set it up, so the same
        // chart came out with other pixels in a process that had drawn instance diagrams
        // first than in one that had not (a sharded report's last job).
        let options = cairo_font_options_create()
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_font_options_set_subpixel_order(options, CAIRO_SUBPIXEL_ORDER_RGB)
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_SLIGHT)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_set_font_options(cr, options)
        cairo_font_options_destroy(options)
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    public func fill(rectX x: Double, y: Double, width: Double, height: Double, color: RGB) {
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        cairo_rectangle(cr, x, y, width, height)
        cairo_fill(cr)
    }

    public func stroke(rectX x: Double, y: Double, width: Double, height: Double, color: RGB, lineWidth: Double = 1) {
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        cairo_set_line_width(cr, lineWidth)
        cairo_rectangle(cr, x, y, width, height)
        cairo_stroke(cr)
    }

    /// A polyline through `points`, dashed when `dash` is given (on, off lengths).
    public func line(_ points: [(x: Double, y: Double)], color: RGB, lineWidth: Double = 1, dash: [Double]? = nil) {
        guard let first = points.first else { return }
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        cairo_set_line_width(cr, lineWidth)
        if let dash { cairo_set_dash(cr, dash, Int32(dash.count), 0) }
        cairo_move_to(cr, first.x, first.y)
        for p in points.dropFirst() { cairo_line_to(cr, p.x, p.y) }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    public func disc(x: Double, y: Double, radius: Double, color: RGB) {
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        cairo_arc(cr, x, y, radius, 0, 2 * Double.pi)
        cairo_fill(cr)
    }

    /// Draws `text` with its baseline starting at (x, y).
    public func text(_ text: String, x: Double, y: Double, size: Double, color: RGB = .black, bold: Bool = false) {
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        cairo_move_to(cr, x, y)
        cairo_show_text(cr, text)
    }

    /// Draws `text` turned a quarter left (reading upwards), its baseline starting at (x, y).
    public func rotatedText(_ text: String, x: Double, y: Double, size: Double, color: RGB = .black, bold: Bool = false) {
        cairo_save(cr)
        cairo_translate(cr, x, y)
        cairo_rotate(cr, -Double.pi / 2)
        self.text(text, x: 0, y: 0, size: size, color: color, bold: bold)
        cairo_restore(cr)
    }

    /// Draws `text` in a monospaced face, one call per line, lines `size * 1.35` apart.
    /// Returns the y below the last line.
    @discardableResult
    public func monospaced(_ lines: [String], x: Double, y: Double, size: Double, color: RGB = .black) -> Double {
        cairo_select_font_face(cr, "DejaVu Sans Mono", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        cairo_set_source_rgb(cr, color.red, color.green, color.blue)
        var baseline = y
        for line in lines {
            cairo_move_to(cr, x, baseline)
            cairo_show_text(cr, line)
            baseline += size * 1.35
        }
        return baseline
    }

    /// Width of `text` at `size`, for layout.
    public func textWidth(_ text: String, size: Double, bold: Bool = false) -> Double {
        cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL,
                               bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, size)
        var extents = cairo_text_extents_t()
        cairo_text_extents(cr, text, &extents)
        return extents.x_advance
    }

    /// Draws a grey-scale image (0 = white paper, 255 = ink, as MNIST stores it) scaled
    /// to `size` x `size` points with crisp pixels.
    public func greyImage(_ pixels: [UInt8], rows: Int, columns: Int, x: Double, y: Double, width: Double, height: Double) {
        image(pixels, rows: rows, columns: columns, channels: 1, x: x, y: y, width: width, height: height)
    }

    /// Draws an image of 1 channel (grey: 0 = white paper, 255 = ink, as MNIST stores it)
    /// or 3 (RGB, in its own colours), scaled to `width` x `height` with crisp pixels.
    public func image(_ pixels: [UInt8], rows: Int, columns: Int, channels: Int, x: Double, y: Double, width: Double, height: Double) {
        precondition(pixels.count == rows * columns * channels)
        let stride = Int(cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, Int32(columns)))
        var buffer = [UInt8](repeating: 0, count: stride * rows)
        for r in 0..<rows {
            for c in 0..<columns {
                let o = r * stride + c * 4, p = (r * columns + c) * channels
                // Cairo's RGB24 is a native-endian 32-bit word: B, G, R, unused in memory.
                if channels == 1 {
                    let v = 255 - pixels[p]  // ink dark on white paper
                    buffer[o] = v; buffer[o + 1] = v; buffer[o + 2] = v
                } else {
                    buffer[o] = pixels[p + 2]; buffer[o + 1] = pixels[p + 1]; buffer[o + 2] = pixels[p]
                }
                buffer[o + 3] = 255
            }
        }
        buffer.withUnsafeMutableBufferPointer { pointer in
            let image = cairo_image_surface_create_for_data(pointer.baseAddress, CAIRO_FORMAT_RGB24,
                                                            Int32(columns), Int32(rows), Int32(stride))
            defer { cairo_surface_destroy(image) }
            cairo_save(cr)
            cairo_translate(cr, x, y)
            cairo_scale(cr, width / Double(columns), height / Double(rows))
            cairo_set_source_surface(cr, image, 0, 0)
            cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST)
            cairo_paint(cr)
            cairo_restore(cr)
        }
    }

    /// Throws when the surface is in error. Cairo says only "error while writing to
    /// output stream"; `writeErrno`, the errno of the call that wrote, says why.
    func check(_ path: String, writeErrno: Int32 = 0) throws {
        let status = cairo_surface_status(surface)
        if status != CAIRO_STATUS_SUCCESS {
            let message = status == CAIRO_STATUS_WRITE_ERROR && writeErrno != 0
                ? "cannot be written (\(String(cString: strerror(writeErrno))))" : String(cString: cairo_status_to_string(status))
            throw CairoError.status(path: path, message: message)
        }
    }
}

/// A raster canvas that ends as a PNG file.
public final class CairoPNG: CairoCanvas {
    public init(width: Int, height: Int) {
        super.init(surface: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)),
                   width: Double(width), height: Double(height))
    }

    /// The picture as PNG bytes, through the fast encoder.
    public func encodedPNG(dpi: Double = 72) -> [UInt8] {
        cairo_surface_flush(surface)
        guard let data = cairo_image_surface_get_data(surface) else { return [] }
        return PNGEncoder.encode(pixels: UnsafePointer(data), width: Int(width), height: Int(height),
                                 stride: Int(cairo_image_surface_get_stride(surface)), dpi: dpi)
    }

    /// Writes the PNG to a temporary name beside `path`, then renames it into place.
    public func writePNG(to path: String) throws {
        cairo_surface_flush(surface)
        let temporary = FileWriter.temporaryName(for: path)
        errno = 0
        let status = cairo_surface_write_to_png(surface, temporary)
        // Cairo says only "error while writing to output stream"; the failed write's errno
        // says why (a full disk, say).
        let code = errno
        guard status == CAIRO_STATUS_SUCCESS else {
            unlink(temporary)
            let message = status == CAIRO_STATUS_WRITE_ERROR && code != 0
                ? "cannot be written (\(String(cString: strerror(code))))" : String(cString: cairo_status_to_string(status))
            throw CairoError.status(path: path, message: message)
        }
        try FileWriter.moveIntoPlace(temporary, as: path)
    }
}

/// A multi-page vector PDF. Pages share one size; `newPage()` ends the current one.
/// Written to a temporary name and renamed by `finish()`, so no half PDF is ever left.
public final class CairoPDF: CairoCanvas {
    public let path: String
    private let temporary: String
    private var finished = false

    public init(path: String, width: Double, height: Double) throws {
        self.path = path
        self.temporary = FileWriter.temporaryName(for: path)
        super.init(surface: cairo_pdf_surface_create(temporary, width, height), width: width, height: height)
        try check(path)
    }

    /// Ends the page, which Cairo writes out: a full disk shows here, before anything is
    /// drawn on a surface in error (Graphviz would print its own line about it).
    public func newPage() throws {
        errno = 0
        cairo_show_page(cr)
        try check(path, writeErrno: errno)
    }

    /// Ends the last page, closes the file and moves it into place.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        errno = 0
        cairo_show_page(cr)
        cairo_surface_finish(surface)
        do { try check(path, writeErrno: errno) } catch { unlink(temporary); throw error }
        try FileWriter.moveIntoPlace(temporary, as: path)
    }

    deinit {
        if !finished { unlink(temporary) }
    }
}
