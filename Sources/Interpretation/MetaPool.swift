import Datasets
import Foundation
import Numerics

/// Extra meta-level training data labelled by the CNN itself, so no human label is needed:
/// images the CNN never trained on, with its prediction for each. The forests learn the
/// CNN's decisions better where they see more of them near its decision boundaries.
public enum MetaPool {
    /// Pixel-space blends of each training image with its nearest neighbour (in the
    /// interpreted layer, inside the same level-1 cluster) that the CNN puts in another
    /// class, at `mixes` evenly spaced ratios in (0, 1). Such blends sit between two of
    /// the CNN's classes, where its decision boundary runs.
    public static func boundaryBlends(images: ImageSet, features: Matrix, predictions: [Int], level1: [Int],
                                      mixes: Int) -> ImageSet {
        guard mixes > 0 else { return ImageSet(count: 0, rows: images.rows, columns: images.columns, channels: images.channels, pixels: []) }
        var partner = [Int](repeating: -1, count: images.count)
        for c in Set(level1).sorted() {
            let members = (0..<features.rows).filter { level1[$0] == c }
            let sub = features.rows(members)
            // Distances between all members, from one GEMM (|a|^2 - 2ab + |b|^2).
            let d2 = KMeans.distances(sub, to: sub)
            for (i, m) in members.enumerated() {
                var best = -1
                var bestDistance = Float.infinity
                for (j, other) in members.enumerated() where predictions[other] != predictions[m] {
                    let v = d2.values[i * members.count + j]
                    if v < bestDistance { bestDistance = v; best = other }
                }
                partner[m] = best
            }
        }
        let sources = (0..<images.count).filter { partner[$0] >= 0 }
        let pixels = images.pixelsPerImage
        var out = [UInt8](repeating: 0, count: sources.count * mixes * pixels)
        for (slot, a) in sources.enumerated() {
            images.withImage(a) { first in
                images.withImage(partner[a]) { second in
                    for m in 0..<mixes {
                        let t = Float(m + 1) / Float(mixes + 1)
                        let o = (slot * mixes + m) * pixels
                        for p in 0..<pixels {
                            let v = (1 - t) * Float(first[p]) + t * Float(second[p])
                            out[o + p] = UInt8(v.rounded())
                        }
                    }
                }
            }
        }
        return ImageSet(count: sources.count * mixes, rows: images.rows, columns: images.columns, channels: images.channels, pixels: out)
    }
}
