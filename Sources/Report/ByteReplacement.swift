import Foundation

/// Replacement of every occurrence of a byte string in a buffer, for the large SVG and
/// DOT texts of a report: `String.replacingOccurrences` goes through NSString's UTF-16
/// and took about 6% of a Fashion-MNIST report's time on two 100 KB-sized SVG passes.
enum ByteReplacement {
    /// `bytes` with every non-overlapping occurrence of `target`, searched left to right,
    /// replaced by `replacement`. An empty `target` changes nothing.
    static func replacing(_ target: [UInt8], with replacement: [UInt8], in bytes: [UInt8]) -> [UInt8] {
        guard !target.isEmpty, bytes.count >= target.count else { return bytes }
        var result: [UInt8] = []
        var copied = 0
        bytes.withUnsafeBytes { haystack in
            target.withUnsafeBytes { needle in
                let base = haystack.baseAddress!, first = Int32(target[0])
                var from = 0
                // memchr to each candidate first byte (memmem is a GNU extension Swift's Glibc
                // module does not offer), then memcmp for the rest.
                while from <= haystack.count - needle.count,
                      let candidate = memchr(base + from, first, haystack.count - needle.count + 1 - from) {
                    let at = base.distance(to: UnsafeRawPointer(candidate))
                    guard memcmp(base + at, needle.baseAddress!, needle.count) == 0 else { from = at + 1; continue }
                    if result.isEmpty { result.reserveCapacity(bytes.count) }
                    result.append(contentsOf: haystack[copied..<at])
                    result.append(contentsOf: replacement)
                    copied = at + needle.count
                    from = copied
                }
            }
        }
        if copied == 0 { return bytes }
        result.append(contentsOf: bytes[copied...])
        return result
    }
}
