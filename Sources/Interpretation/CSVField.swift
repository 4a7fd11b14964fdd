import Foundation

/// CSV as RFC 4180 writes it, for the one column that holds free text (an image's file
/// name, which may hold a comma, a quote or even a line break): a field with any of those
/// is quoted, its quotes doubled. The reader splits records the same way.
enum CSVField {
    struct Problem: Error, CustomStringConvertible {
        let description: String
    }

    /// `text` as a field: unchanged when it needs no quotes.
    static func quoted(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The records of `text`, each a list of fields; empty lines are skipped.
    static func records(_ text: String) throws -> [[String]] {
        var records: [[String]] = [], fields: [String] = [], field = ""
        var quoted = false, wasQuoted = false, line = 1
        var chars = text.makeIterator()
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty && !wasQuoted) { records.append(fields) }
            fields = []; field = ""; wasQuoted = false
        }
        while let c = chars.next() {
            if quoted {
                if c == "\"" {
                    // A doubled quote is a quote; a single one ends the field.
                    var after = chars
                    if after.next() == "\"" { field.append("\""); chars = after } else { quoted = false }
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
                continue
            }
            switch c {
            case "\"":
                guard field.isEmpty, !wasQuoted else { throw Problem(description: "line \(line): a quote inside an unquoted field") }
                quoted = true; wasQuoted = true
            case ",":
                fields.append(field); field = ""; wasQuoted = false
            case "\n", "\r\n":
                endRecord(); line += 1
            default:
                guard !wasQuoted else { throw Problem(description: "line \(line): text after a quoted field's closing quote") }
                field.append(c)
            }
        }
        if quoted { throw Problem(description: "line \(line): a quoted field is not closed") }
        if !fields.isEmpty || !field.isEmpty || wasQuoted { endRecord() }
        return records
    }
}
