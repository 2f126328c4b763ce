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
}
