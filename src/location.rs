//! Where a byte is in a text file, for messages: 1-based line and column.

/// The line and column (both from 1, the column in bytes) of `offset` in `bytes`.
pub fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    (line, before.len() - line_start + 1)
}

/// The file as UTF-8, or the offset of its first invalid byte and a message naming it.
pub fn utf8(bytes: &[u8]) -> Result<&str, (usize, String)> {
    std::str::from_utf8(bytes).map_err(|e| {
        let offset = e.valid_up_to();
        (
            offset,
            format!(
                "the file is not UTF-8 text: invalid byte 0x{:02X} at byte offset {offset}",
                bytes[offset]
            ),
        )
    })
}

/// A text file as a string, whatever Unicode encoding its byte-order mark names: UTF-8 with or
/// without one, or UTF-16 LE or BE with one (what PowerShell's `>` writes). Any other bytes
/// that are not UTF-8 give the offset of the first bad byte and a message naming what was
/// found. Lines and columns of later errors count in the decoded text.
pub fn unicode_text(bytes: &[u8]) -> Result<std::borrow::Cow<'_, str>, (usize, String)> {
    use std::borrow::Cow;
    const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
    if let Some(rest) = bytes.strip_prefix(UTF8_BOM) {
        return utf8(rest)
            .map(Cow::Borrowed)
            .map_err(|(offset, message)| (offset + UTF8_BOM.len(), message));
    }
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16, name: &str| {
        if !rest.len().is_multiple_of(2) {
            return Err((
                bytes.len() - 1,
                format!(
                    "the file is {name} (it starts with that byte-order mark) but has an odd number of bytes: it is truncated"
                ),
            ));
        }
        let units = rest.chunks_exact(2).map(|pair| unit([pair[0], pair[1]]));
        let mut text = String::with_capacity(rest.len() / 2);
        for (i, c) in char::decode_utf16(units).enumerate() {
            match c {
                Ok(c) => text.push(c),
                Err(e) => {
                    return Err((
                        2 + 2 * i,
                        format!(
                            "the file is {name} (it starts with that byte-order mark) but holds an unpaired surrogate 0x{:04X}",
                            e.unpaired_surrogate()
                        ),
                    ));
                }
            }
        }
        Ok(Cow::Owned(text))
    };
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, u16::from_le_bytes, "UTF-16 LE");
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, u16::from_be_bytes, "UTF-16 BE");
    }
    // UTF-16 without a byte-order mark: text whose every other byte is zero. NUL is valid
    // UTF-8, so this is looked for first.
    let head = &bytes[..bytes.len().min(64)];
    let zeros = |parity: usize| {
        head.iter()
            .enumerate()
            .filter(|(i, b)| i % 2 == parity && **b == 0)
            .count()
    };
    let half = head.len() / 2;
    if half >= 2 && (zeros(0) == half || zeros(1) == half) {
        return Err((
            0,
            "the file looks like UTF-16 without a byte-order mark, which cannot be told apart \
             from other encodings"
                .to_string(),
        ));
    }
    utf8(bytes).map(Cow::Borrowed)
}

/// A serde_json error as its line, column and message. serde_json appends " at line L
/// column C", which is dropped because messages put the location in front; a syntax error
/// and a file that ends early are said as such.
pub fn json_error(e: &serde_json::Error) -> (usize, usize, String) {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_string();
    let message = match e.classify() {
        serde_json::error::Category::Eof => {
            format!("the file ends early, it is truncated ({message})")
        }
        serde_json::error::Category::Syntax => format!("invalid JSON: {message}"),
        _ => message,
    };
    (e.line(), e.column(), message)
}

#[cfg(test)]
mod tests {
    use super::line_column;

    #[test]
    fn lines_and_columns_count_from_one() {
        assert_eq!(line_column(b"ab\ncd", 0), (1, 1));
        assert_eq!(line_column(b"ab\ncd", 4), (2, 2));
        assert_eq!(line_column(b"ab\n", 3), (2, 1));
    }

    #[test]
    fn byte_order_marks_name_the_encoding() {
        use super::unicode_text;
        assert_eq!(unicode_text(b"\xEF\xBB\xBF{}").as_deref(), Ok("{}"));
        assert_eq!(unicode_text(b"\xFF\xFE{\0}\0").as_deref(), Ok("{}"));
        assert_eq!(unicode_text(b"\xFE\xFF\0{\0}").as_deref(), Ok("{}"));
        assert_eq!(unicode_text("{\"é\"}".as_bytes()).as_deref(), Ok("{\"é\"}"));
        let odd = unicode_text(b"\xFF\xFE{\0}").unwrap_err();
        assert!(odd.1.contains("truncated"), "{odd:?}");
        let bare = unicode_text(b"{\0\"\0a\0\"\0:\x001\0}\0").unwrap_err();
        assert!(
            bare.1.contains("UTF-16 without a byte-order mark"),
            "{bare:?}"
        );
        let latin1 = unicode_text(b"{\"caf\xE9\"}").unwrap_err();
        assert_eq!(latin1.0, 5);
        assert!(latin1.1.contains("0xE9"), "{latin1:?}");
    }
}
