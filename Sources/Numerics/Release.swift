/// The version of cnn-inte, written into every artifact it produces (`--version` prints it).
public enum Release {
    public static let version = "0.2.0"
}
