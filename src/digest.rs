//! The digests that tie a report to the exact bytes it was made from.

use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// An `io::Write` that hashes what is written to it, so that a large document (a snapshot
/// of a thousand accounts) can be digested as it is serialised, never held whole.
#[derive(Default)]
pub struct Sha256Writer(Sha256);

impl Sha256Writer {
    /// Lower-case hex SHA-256 of everything written.
    pub fn finish(self) -> String {
        hex(&self.0.finalize())
    }
}

impl std::io::Write for Sha256Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
