/// A usage problem found after parsing: an option's value is out of range, or does not fit
/// the data or model it is used with. The command line prints it as one line and exits
/// with status 64, like a parse error.
public struct UsageError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
