import Foundation
import Interpretation

/// A piece of one of the interpretation's CNN passes: images `start ..< start + count` of
/// `pass`, which holds `passImages` images. Pieces start at multiples of the pass's
/// inference batch, so a piece computed alone gives the bits the whole pass gives it.
public struct ActivationPiece: Codable, Equatable, Sendable {
    public var pass: ActivationPass
    public var start: Int
    public var count: Int
    public var passImages: Int

    public init(pass: ActivationPass, start: Int, count: Int, passImages: Int) {
        (self.pass, self.start, self.count, self.passImages) = (pass, start, count, passImages)
    }

    /// Its files in a shard's folder.
    public var featuresName: String { "\(pass)-\(start).features.npy" }
    public var probabilitiesName: String { "\(pass)-\(start).probabilities.npy" }
}

/// The activation stage's layout: which pieces each shard computes.
public enum ActivationLayout {
    /// The passes an interpretation with these sizes makes over fixed images, with their
    /// image counts: the training and test images, the augmented copies (`copies` of each
    /// training image, by chunk) and the calibration copies (by chunk).
    public static func passes(trainImages: Int, testImages: Int, copies: Int, calibrationImages: Int) -> [(ActivationPass, Int)] {
        let chunk = ActivationPass.chunkSize
        var passes: [(ActivationPass, Int)] = [(.train, trainImages), (.test, testImages)]
        if copies > 0 {
            for c in 0..<InterpretationRun.chunks(of: trainImages) {
                passes.append((.augmented(chunk: c), min(chunk, trainImages - c * chunk) * copies))
            }
        }
        for c in 0..<InterpretationRun.chunks(of: calibrationImages) {
            passes.append((.calibration(chunk: c), min(chunk, calibrationImages - c * chunk)))
        }
        return passes
    }

    /// Shards when none are asked for: about `imagesPerShard` images each (a few minutes
    /// of a ResNet-50 at 224 px on a 2-core node; seconds for MNIST-sized data), at most
    /// `maximumShards`.
    public static let imagesPerShard = 10_000
    public static let maximumShards = 1_000

    /// The pieces of `passes`, shared out over at most `shards` shards of about equal
    /// image counts. Each pass is cut at multiples of its batch (`batch` images, or the
    /// whole pass when smaller); a shard holds consecutive pieces. Shards that would get
    /// nothing are left out, so there may be fewer.
    public static func plan(_ passes: [(ActivationPass, Int)], batch: Int, shards: Int? = nil) -> [[ActivationPiece]] {
        let total = passes.reduce(0) { $0 + $1.1 }
        guard total > 0 else { return [] }
        let wanted = max(1, min(shards ?? (total + imagesPerShard - 1) / imagesPerShard, maximumShards, total))
        let target = (total + wanted - 1) / wanted
        var pieces: [(ActivationPiece, offset: Int)] = []
        var offset = 0
        for (pass, images) in passes where images > 0 {
            let passBatch = max(1, min(batch, images))
            let size = max(passBatch, (target + passBatch - 1) / passBatch * passBatch)
            for start in stride(from: 0, to: images, by: size) {
                pieces.append((ActivationPiece(pass: pass, start: start, count: min(size, images - start), passImages: images), offset + start))
            }
            offset += images
        }
        // A piece goes to the shard its first image falls in, were the images cut evenly.
        var layout = [[ActivationPiece]](repeating: [], count: wanted)
        for (piece, offset) in pieces { layout[min(wanted - 1, offset * wanted / total)].append(piece) }
        return layout.filter { !$0.isEmpty }
    }
}
