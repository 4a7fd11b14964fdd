import Foundation
import Numerics
import OutputFolders

/// Small PNGs of the data's images (inputs, prototypes) in one folder, each named after a
/// hash of its content: Graphviz caches images by file name for the life of the process,
/// so a name must never stand for two different pictures. Identical pictures share a file.
public final class ImageStore {
    /// The folder the files go in, and the prefix the DOT text uses for them (the DOT is
    /// rendered with `imagepath` set to the folder that holds `prefix`).
    public let folder: String
    public let prefix: String
    /// Each pixel becomes `scale` x `scale` pixels, so digits stay crisp (see `Shown`).
    public let scale: Int
    private var written: [UInt64: String] = [:]

    public init(folder: String, prefix: String = "img/", scale: Int = 2) throws {
        self.folder = folder
        self.prefix = prefix
        self.scale = scale
        do {
            try Folders.make(folder)
        } catch {
            throw CairoError.status(path: folder, message: "cannot be created (\(error.localizedDescription))")
        }
    }

    /// The name (with prefix) of the PNG of a grey image (0 = paper, 255 = ink), written
    /// on first use.
    public func grey<C: Collection>(_ pixels: C, rows: Int, columns: Int) throws -> String where C.Element == UInt8 {
        try image(pixels, rows: rows, columns: columns, channels: 1)
    }

    /// The name (with prefix) of the PNG of an image of 1 channel (grey, drawn as ink on
    /// paper) or 3 (RGB, in its own colours), as `Shown`, written on first use.
    public func image<C: Collection>(_ pixels: C, rows: Int, columns: Int, channels: Int) throws -> String where C.Element == UInt8 {
        let shown = Shown(pixels, rows: rows, columns: columns, channels: channels, scale: scale)
        let hash = ImageStore.fnv1a(shown.pixels, rows: shown.rows, columns: shown.columns, channels: channels, scale: shown.scale)
        if let name = written[hash] { return name }
        let file = ImageStore.fileName(hash)
        let path = (folder as NSString).appendingPathComponent(file)
        if !FileManager.default.fileExists(atPath: path) {
            // A temporary name, then a rename: report workers may write the same picture.
            let temporary = FileWriter.temporaryName(for: path)
            try FileWriter.write(PNGEncoder.encode(image: shown.pixels, rows: shown.rows, columns: shown.columns, channels: channels,
                                                   scale: shown.scale),
                                 to: temporary)
            try FileWriter.moveIntoPlace(temporary, as: path)
        }
        let name = prefix + file
        written[hash] = name
        return name
    }

    /// The name `image` gives these pixels (with `prefix` and `scale`), without writing anything.
    public static func name<C: Collection>(_ pixels: C, rows: Int, columns: Int, channels: Int = 1,
                                           prefix: String = ReportLayout.imagePrefix, scale: Int = 2) -> String where C.Element == UInt8 {
        let shown = Shown(pixels, rows: rows, columns: columns, channels: channels, scale: scale)
        return prefix + fileName(fnv1a(shown.pixels, rows: shown.rows, columns: shown.columns, channels: channels, scale: shown.scale))
    }

    /// Pictures in the diagrams are at most this many pixels a side: a 224x224 input drawn
    /// at 448 (twice its size, like a digit) made each diagram 4,211 pixels wide, its
    /// images dwarfing the text, and rendering took 12 times as long as at 64x64.
    public static let largestShown = 128

    /// An image as a diagram shows it: each pixel drawn `scale` x `scale` times (fewer when
    /// that would pass `largestShown`, so a 64x64 image keeps 2 and a 96x96 one gets 1), or,
    /// above `largestShown`, averaged over `factor` x `factor` blocks (the last blocks of a
    /// side that `factor` does not divide are smaller) and drawn once: 224x224 is shown at
    /// 112x112.
    struct Shown {
        let pixels: [UInt8]
        let rows: Int
        let columns: Int
        let scale: Int

        init<C: Collection>(_ pixels: C, rows: Int, columns: Int, channels: Int, scale: Int) where C.Element == UInt8 {
            let side = max(rows, columns)
            guard side > ImageStore.largestShown else {
                (self.pixels, self.rows, self.columns) = (Array(pixels), rows, columns)
                self.scale = max(1, min(scale, ImageStore.largestShown / side))
                return
            }
            let factor = (side + ImageStore.largestShown - 1) / ImageStore.largestShown
            self.pixels = Shown.averaged(Array(pixels), rows: rows, columns: columns, channels: channels, factor: factor)
            (self.rows, self.columns, self.scale) = ((rows + factor - 1) / factor, (columns + factor - 1) / factor, 1)
        }

        /// `pixels` (rows x columns x channels) averaged over `factor` x `factor` blocks,
        /// rounded to the nearest byte.
        static func averaged(_ pixels: [UInt8], rows: Int, columns: Int, channels: Int, factor: Int) -> [UInt8] {
            let (outRows, outColumns) = ((rows + factor - 1) / factor, (columns + factor - 1) / factor)
            var out = [UInt8](repeating: 0, count: outRows * outColumns * channels)
            for r in 0..<outRows {
                let ys = (r * factor)..<min(rows, (r + 1) * factor)
                for c in 0..<outColumns {
                    let xs = (c * factor)..<min(columns, (c + 1) * factor)
                    for k in 0..<channels {
                        var sum = 0
                        for y in ys { for x in xs { sum += Int(pixels[(y * columns + x) * channels + k]) } }
                        let count = ys.count * xs.count
                        out[(r * outColumns + c) * channels + k] = UInt8((sum + count / 2) / count)
                    }
                }
            }
            return out
        }
    }

    static func fileName(_ hash: UInt64) -> String { String(format: "g-%016llx.png", hash) }

    /// 64-bit FNV-1a over the shape and the pixels: stable across runs and machines.
    /// Grey images hash as before channels existed, so their names have not changed.
    static func fnv1a<C: Collection>(_ pixels: C, rows: Int, columns: Int, channels: Int = 1, scale: Int) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        for v in (channels == 1 ? [rows, columns, scale] : [rows, columns, scale, channels]) { for shift in stride(from: 0, to: 32, by: 8) { mix(UInt8(truncatingIfNeeded: v >> shift)) } }
        for p in pixels { mix(p) }
        return h
    }
}
