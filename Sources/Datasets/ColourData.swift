import Foundation
import Numerics

/// A colour data set made from a grey one, for trying and testing the colour paths when no
/// colour data set is at hand: each image's ink gets one hue and its background another,
/// both drawn per image independently of the class, so colour says nothing about the
/// label and a network must still read the shapes.
public enum ColourData {
    /// `images` (grey) painted: foreground and background colours drawn from `rng`, hues
    /// at least 90 degrees apart, the grey value blending one into the other.
    public static func colourise(_ images: ImageSet, rng: inout SplitMix64) -> ImageSet {
        precondition(images.channels == 1)
        let plane = images.rows * images.columns
        var out = [UInt8](repeating: 0, count: images.count * plane * 3)
        for i in 0..<images.count {
            let hue = rng.nextUnit() * 360
            let backgroundHue = (hue + 90 + rng.nextUnit() * 180).truncatingRemainder(dividingBy: 360)
            let ink = rgb(hue: hue, saturation: 0.6 + 0.4 * rng.nextUnit(), value: 0.75 + 0.25 * rng.nextUnit())
            let paper = rgb(hue: backgroundHue, saturation: 0.3 + 0.5 * rng.nextUnit(), value: 0.15 + 0.45 * rng.nextUnit())
            let source = i * plane
            for p in 0..<plane {
                let a = Double(images.pixels[source + p]) / 255
                for c in 0..<3 {
                    out[(source + p) * 3 + c] = UInt8((paper[c] * (1 - a) + ink[c] * a) * 255 + 0.5)
                }
            }
        }
        return ImageSet(count: images.count, rows: images.rows, columns: images.columns, channels: 3, pixels: out)
    }

    /// HSV to RGB, each in 0...1.
    static func rgb(hue: Double, saturation s: Double, value v: Double) -> [Double] {
        let h = hue / 60, sector = Int(h) % 6, f = h - Double(Int(h))
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        switch sector {
        case 0: return [v, t, p]
        case 1: return [q, v, p]
        case 2: return [p, v, t]
        case 3: return [p, q, v]
        case 4: return [t, p, v]
        default: return [v, p, q]
        }
    }

    /// Writes `dataset`, coloured, as an image folder: `folder/train/<class>/00000.png`
    /// and `folder/test/<class>/...`. Class folder names are the class names made safe
    /// for a file system. The folder must not exist yet (nothing of the user's is touched).
    public static func writeImageFolder(_ dataset: Dataset, to folder: String, seed: UInt64) throws {
        if FileManager.default.fileExists(atPath: folder) {
            throw UsageError("\(folder) already exists; give a new folder for the generated data")
        }
        let staging = folder + ".partial-\(getpid())"
        try? FileManager.default.removeItem(atPath: staging)
        var rng = SplitMix64(seed: seed)
        let folderNames = safeFolderNames(dataset.classNames)
        do {
            for (splitName, split) in [("train", dataset.train), ("test", dataset.test)] {
                let colour = colourise(split.images.channels == 1 ? split.images : split.images.converted(toChannels: 1), rng: &rng)
                for name in folderNames {
                    try FileManager.default.createDirectory(atPath: "\(staging)/\(splitName)/\(name)", withIntermediateDirectories: true)
                }
                var failure: String?
                let lock = NSLock()
                Parallel.forRanges(colour.count, grain: 64) { range in
                    for i in range {
                        let png = ImageEncoder.encode(Array(colour.image(i)), rows: colour.rows, columns: colour.columns, channels: 3, format: .png)
                        let path = "\(staging)/\(splitName)/\(folderNames[Int(split.labels[i])])/\(String(format: "%05d", i)).png"
                        if png == nil || !FileManager.default.createFile(atPath: path, contents: Data(png!)) {
                            lock.lock(); failure = failure ?? path; lock.unlock()
                        }
                    }
                }
                if let failure { throw DatasetError.badFile(path: failure, problem: "could not be written") }
            }
            if folderNames != dataset.classNames {
                // Names that had to change for the file system keep their real text here.
                try (dataset.classNames.joined(separator: "\n") + "\n").write(toFile: "\(staging)/classes.txt", atomically: true, encoding: .utf8)
            }
            try FileManager.default.moveItem(atPath: staging, toPath: folder)
        } catch {
            try? FileManager.default.removeItem(atPath: staging)
            throw error
        }
    }

    /// Class names as folder names: `/` and control characters replaced, leading dots
    /// removed, kept distinct and in the same sorted order as the labels (a numeric
    /// prefix is added when sorting would reorder them).
    static func safeFolderNames(_ names: [String]) -> [String] {
        var safe = names.map { name -> String in
            var s = String(name.unicodeScalars.map { $0 == "/" || $0.value < 32 ? "_" : Character($0) })
            while s.hasPrefix(".") { s.removeFirst() }
            return s.isEmpty ? "class" : String(s.prefix(100))
        }
        if Set(safe).count != safe.count || safe != safe.sorted(by: ImageFolder.codePointOrder) {
            let width = String(names.count - 1).count
            safe = safe.enumerated().map { String(repeating: "0", count: width - String($0.offset).count) + "\($0.offset)-\($0.element)" }
        }
        return safe
    }
}
