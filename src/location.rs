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
