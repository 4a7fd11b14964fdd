extension Int {
    /// "1 image", "2 images": a count with its noun, singular for one. `plural` for nouns
    /// that do not just add an s ("1 process", "2 processes").
    public func counted(_ singular: String, plural: String? = nil) -> String {
        "\(self) " + (self == 1 ? singular : plural ?? singular + "s")
    }
}
