/// Some images of a set, picked by index and copied only a range at a time when asked
/// for: the credibility's 20,000 calibration images of a large mapped training set are
/// 3 GB at 224 px, and a job needs 2,000 of them at once.
public struct PickedImages: Sendable {
    public let base: ImageSet
    /// The picked images' indices in `base`, in order; nil: all of them.
    public let indices: [Int]?

    public init(_ base: ImageSet, indices: [Int]? = nil) {
        (self.base, self.indices) = (base, indices)
    }

    public var count: Int { indices?.count ?? base.count }

    /// Picked images `range`, held in memory.
    public func images(in range: Range<Int>) -> ImageSet {
        guard let indices else { return base.images(in: range) }
        return base.images(at: Array(indices[range]))
    }
}
