import Datasets
import Foundation
import Numerics

/// The decode and data stages of a run on an image folder: the folder decoded once, in
/// shards of files (`ImageFolderPieces`), then put together into one index
/// (`DataIndex`) that every later job maps instead of decoding the folder itself. So a
/// job holds in memory only the images it reads, and a folder of a million JPEGs is
/// decoded once, in parallel, not once per job.
public enum DataShards {
    /// Files a decode shard takes when no `--shards` is given: about half a minute of
    /// decoding 224 px JPEGs on a 2-core node (docs/CLUSTER.md).
    public static let imagesPerShard = 10_000

    /// The decode stage's layout: the train files then the test files, cut into at most
    /// `shards` runs of about equal length (a run does not cross from train to test, so a
    /// shard may hold one piece of each).
    public static func layout(trainImages: Int, testImages: Int, shards: Int?) -> [[ImagePiece]] {
        let total = trainImages + testImages
        guard total > 0 else { return [] }
        let wanted = max(1, min(shards ?? (total + imagesPerShard - 1) / imagesPerShard, ActivationLayout.maximumShards, total))
        var layout: [[ImagePiece]] = []
        for k in 0..<wanted {
            let (from, to) = (k * total / wanted, (k + 1) * total / wanted)
            var pieces: [ImagePiece] = []
            if from < trainImages { pieces.append(ImagePiece(split: .train, start: from, count: min(to, trainImages) - from)) }
            if to > trainImages {
                let start = max(from, trainImages) - trainImages
                pieces.append(ImagePiece(split: .test, start: start, count: to - trainImages - start))
            }
            layout.append(pieces)
        }
        return layout
    }

    /// The folder listed as the plan's data selection lists it.
    static func listing(_ plan: ShardPlan) throws -> ImageFolderListing {
        guard let folder = plan.data.folder else { throw UsageError("shard: this run's data is not an image folder") }
        return try ImageFolderListing(folder: folder, selection: plan.data)
    }

    /// Decode shard `index`'s key: the plan and what the listing found for its files
    /// (`ImageFolderListing.key(of:)`).
    static func decodeKey(_ plan: ShardPlan, index: Int, listed: ImageFolderListing) -> ShardKey {
        ShardKey(plan: plan.fingerprint, inputs: ["listing": listed.key(of: plan.imagePieces[index])])
    }

    /// The data stage's key: the plan and the decode shards' files (from their records).
    static func dataKey(_ plan: ShardPlan, folder: ShardFolder) -> ShardKey? {
        var hasher = SHA256()
        for index in plan.imagePieces.indices {
            guard let record = folder.record(Stage.decode, index), record.key.plan == plan.fingerprint else { return nil }
            for (name, sha) in record.files.sorted(by: { $0.key < $1.key }) { hasher.update(Array("\(index)/\(name)=\(sha)\n".utf8)) }
        }
        return ShardKey(plan: plan.fingerprint, inputs: ["pieces": hasher.finalizeHex()])
    }

    /// One decode shard: its pieces of the listing, decoded into raw pixel files.
    static func decode(_ plan: ShardPlan, index: Int, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let listed = try listing(plan)
        let pieces = plan.imagePieces[index]
        try check(pieces, against: listed)
        return try folder.produce(Stage.decode, index, key: decodeKey(plan, index: index, listed: listed)) { out in
            let meter = ProgressMeter(progress, stage: "shard \(Stage.decode) \(index): decoding", total: pieces.reduce(0) { $0 + $1.count },
                                      unit: "images")
            defer { meter.finish() }
            for piece in pieces {
                try ImageFolderPieces.decode(piece, of: listed, into: out)
                meter.advance(by: piece.count)
            }
        }
    }

    /// A listing that no longer has the files the plan cut into pieces.
    static func check(_ pieces: [ImagePiece], against listed: ImageFolderListing) throws {
        for piece in pieces where piece.start + piece.count > listed.entries(piece.split).count {
            throw ShardError.changed("\(listed.folder) now lists \(listed.entries(piece.split).count) \(piece.split.rawValue) images, fewer than when the run was planned; submit the run again")
        }
    }

    /// The data stage: the decoded pieces checked and indexed (`DataIndex`), every pixel
    /// hashed once for the data's fingerprint.
    static func assemble(_ plan: ShardPlan, folder: ShardFolder, progress: ProgressSink) throws -> Bool {
        let listed = try listing(plan)
        let missing = pendingDecodes(plan, folder: folder, listed: listed)
        if !missing.isEmpty { throw ShardError.notDone(stage: Stage.decode, shards: missing, folder: folder.root) }
        guard let dataKey = dataKey(plan, folder: folder) else { throw ShardError.notDone(stage: Stage.decode, shards: [], folder: folder.root) }
        return try folder.produce(Stage.data, 0, key: dataKey) { out in
            let pieces = plan.imagePieces.enumerated().flatMap { index, pieces in pieces.map { ($0, folder.shard(Stage.decode, index)) } }
            let index = try DataIndex.assemble(listed, pieces: pieces, root: folder.root,
                                               converted: (out as NSString).appendingPathComponent("converted"))
            // The converted files were written under the temporary folder: name them
            // where the rename puts them.
            let temporary = ImageFolderListing.relative(out, to: folder.root)
            let final = ImageFolderListing.relative(folder.shard(Stage.data, 0), to: folder.root)
            try index.renamingFolder(temporary, to: final).write(to: (out as NSString).appendingPathComponent(DataIndex.fileName))
        }
    }

    /// The plan's data set: mapped from the data stage's index for an image folder (which
    /// must be done, from the decode shards there now), else loaded whole.
    public static func dataset(_ plan: ShardPlan, folder: ShardFolder) throws -> Dataset {
        guard plan.decodesImages else { return try plan.data.load() }
        guard let index = try index(plan, folder: folder) else { throw ShardError.notDone(stage: Stage.data, shards: [0], folder: folder.root) }
        return try index.dataset(root: folder.root)
    }

    /// The data stage's index when that stage is done from the decode shards there now;
    /// else nil.
    static func index(_ plan: ShardPlan, folder: ShardFolder) throws -> DataIndex? {
        guard let key = dataKey(plan, folder: folder), folder.isDone(Stage.data, 0, key: key) else { return nil }
        return try DataIndex.read((folder.shard(Stage.data, 0) as NSString).appendingPathComponent(DataIndex.fileName))
    }

    /// The decode shards not done from the folder as it is listed now.
    static func pendingDecodes(_ plan: ShardPlan, folder: ShardFolder, listed: ImageFolderListing) -> [Int] {
        plan.imagePieces.indices.filter { !folder.isDone(Stage.decode, $0, key: decodeKey(plan, index: $0, listed: listed)) }
    }

    /// The data's fingerprint when the data stage is done from the decode shards there now
    /// (which the caller found done from the folder as listed now); else nil.
    static func fingerprint(_ plan: ShardPlan, folder: ShardFolder) -> String? {
        (try? index(plan, folder: folder))?.fingerprint
    }
}
