import Foundation

/// Escaping for every string that goes into DOT or HTML: class names come from users'
/// files, so they may hold `<`, `&`, quotes or backslashes.
public enum Escaping {
    /// Text inside a DOT HTML-like label, or HTML text and attribute values.
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n", "\r", "\t": out += " "
            default:
                if ch.value < 0x20 || ch.value == 0x7F { out += " " } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// Text inside a DOT HTML-like label: `html`, and backslashes doubled. Graphviz reads
    /// `\N`, `\G` and the like in a label's text as escapes (the node's and graph's
    /// names), even written as `&#92;N`; only `\\N` comes out as the two characters.
    public static func dotHTML(_ text: String) -> String {
        html(text).replacingOccurrences(of: "\\", with: "\\\\")
    }

    /// A DOT quoted string, quotes included: `"` and `\` are escaped, line breaks dropped.
    public static func dotQuoted(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(ch)
            }
        }
        return out + "\""
    }

    /// Several lines as one DOT quoted string, centred line breaks (`\n`) between them.
    public static func dotQuoted(lines: [String]) -> String {
        "\"" + lines.map { String(dotQuoted($0).dropFirst().dropLast()) }.joined(separator: "\\n") + "\""
    }

    /// A string as a JavaScript string literal inside a `<script>` element: quotes,
    /// backslashes, `<` (so `</script>` cannot end the element) and line separators escaped.
    public static func javaScript(_ text: String) -> String {
        var out = "\""
        for ch in text.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "<": out += "\\u003C"
            case ">": out += "\\u003E"
            case "&": out += "\\u0026"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04X", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }
}
