/// Escaping of values placed into filters and DNs, so that input can never change their structure.
public enum LDAPEscaping {
    /// A value for a search filter (RFC 4515 §3): `*`, `(`, `)`, `\` and NUL become `\XX`, as do
    /// bytes outside printable ASCII.
    public static func filterValue(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "*"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "\\"), 0, 0x80...0xFF,
                0x01...0x1F, 0x7F:
                out += "\\" + hex(byte)
            default:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    /// An attribute value of a DN (RFC 4514 §2.4): `,+"\<>;=` and NUL, a leading `#` or space and a
    /// trailing space are escaped.
    public static func dnValue(_ value: String) -> String {
        let bytes = Array(value.utf8)
        var out = ""
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "<"),
                UInt8(ascii: ">"), UInt8(ascii: ";"), UInt8(ascii: "="):
                out += "\\" + String(UnicodeScalar(byte))
            case 0...0x1F, 0x7F...0xFF:
                out += "\\" + hex(byte)
            case UInt8(ascii: "#") where index == 0, UInt8(ascii: " ") where index == 0 || index == bytes.count - 1:
                out += "\\" + String(UnicodeScalar(byte))
            default:
                out.unicodeScalars.append(Unicode.Scalar(byte))
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
