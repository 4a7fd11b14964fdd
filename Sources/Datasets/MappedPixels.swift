import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A raw pixel file mapped read-only into memory: the image shards of a sharded run are
/// read this way, so a job that reads a thousand images of a million pages in only those
/// (and the kernel may drop them again), however large the data set.
public final class MappedPixels: @unchecked Sendable {
    public let path: String
    public let length: Int
    /// The first byte; valid while this object lives (never written: mapped read-only).
    let base: UnsafePointer<UInt8>
    private let mapping: UnsafeMutableRawPointer?

    public init(path: String) throws {
        func failed(_ what: String) -> DatasetError { .badFile(path: path, problem: "cannot be \(what) (\(String(cString: strerror(errno))))") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failed("read") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failed("read") }
        self.path = path
        self.length = Int(info.st_size)
        if length == 0 {
            // mmap refuses a length of 0; an empty file holds no image.
            (mapping, base) = (nil, UnsafePointer(UnsafeMutablePointer<UInt8>.allocate(capacity: 1)))
            return
        }
        guard let m = mmap(nil, length, PROT_READ, MAP_PRIVATE, fd, 0), m != MAP_FAILED else {
            throw failed("mapped")
        }
        mapping = m
        base = UnsafePointer(m.assumingMemoryBound(to: UInt8.self))
    }

    /// Calls `body` with every byte of the file (valid only inside it: the mapping goes
    /// with this object).
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withExtendedLifetime(self) { try body(UnsafeBufferPointer(start: base, count: length)) }
    }

    deinit {
        if let mapping { munmap(mapping, length) } else { UnsafeMutablePointer(mutating: base).deallocate() }
    }
}

/// Where an `ImageSet`'s bytes are: one array, or mapped files of whole images.
enum PixelStorage: Sendable {
    case bytes([UInt8])
    case mapped([Segment])

    /// Images `first ..< first + count` of the set, in `file`.
    struct Segment: Sendable {
        let file: MappedPixels
        let first: Int
        let count: Int
    }

    /// The segment holding image `index` (binary search on the segments' first images).
    static func segment(of index: Int, in segments: [Segment]) -> Int {
        var (low, high) = (0, segments.count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if segments[middle].first <= index { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
