//! Writing reports and snapshots safely: a regular file is written beside its target and
//! renamed into place, so a failed run never leaves a half-written one; several outputs of
//! one run are all rendered before any becomes visible; symlinks are followed and devices
//! and pipes written directly.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

/// Where an output goes, decided before anything is written.
pub enum Target {
    Stdout,
    /// A character device, FIFO or socket: written directly, never replaced.
    Special(PathBuf),
    /// A regular file, or one that does not exist yet (symlinks already followed).
    File(PathBuf),
}

fn target(path: Option<&Path>) -> Result<Target> {
    let Some(path) = path.filter(|p| *p != Path::new("-")) else {
        return Ok(Target::Stdout);
    };
    let resolved = follow_symlinks(path)?;
    match std::fs::metadata(&resolved) {
        Ok(meta) if meta.is_dir() => bail!("cannot write {}: it is a directory", path.display()),
        Ok(meta) if !meta.is_file() => Ok(Target::Special(resolved)),
        _ => Ok(Target::File(resolved)),
    }
}

/// Writes `text` to a special file or standard output; a reader that stopped early
/// (`| head`) is not an error worth reporting.
fn write_direct(target: &Target, text: &str) -> Result<()> {
    let result = match target {
        Target::Stdout => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
        }
        Target::Special(path) => std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(text.as_bytes())),
        Target::File(_) => unreachable!("files are written atomically"),
    };
    match result {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context(match target {
            Target::Special(path) => format!("cannot write {}", path.display()),
            _ => "cannot write to standard output".to_string(),
        }),
    }
}

/// An output rendered but not yet visible.
pub enum Staged {
    /// A temporary file beside its target, renamed over it by `commit`.
    File(tempfile::NamedTempFile, PathBuf),
    /// Text for standard output or a special file.
    Direct(Target, String),
}

impl Staged {
    pub fn commit(self) -> Result<()> {
        match self {
            Staged::File(tmp, path) => {
                tmp.persist(&path)
                    .map_err(|e| e.error)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                Ok(())
            }
            Staged::Direct(target, text) => write_direct(&target, &text),
        }
    }
}

/// Renders an output with `render` into a temporary file beside its target (or, for
/// standard output and special files, into memory), without making it visible yet.
pub fn stage(
    path: &Path,
    render: impl FnOnce(&mut dyn Write) -> Result<(), flowaudit::report::RenderError>,
) -> Result<Staged> {
    match target(Some(path))? {
        Target::File(resolved) => {
            let mut tmp = temp_file_beside(&resolved)
                .with_context(|| format!("cannot write {}", path.display()))?;
            {
                let mut writer = std::io::BufWriter::new(tmp.as_file_mut());
                render(&mut writer)?;
                writer
                    .flush()
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Ok(Staged::File(tmp, resolved))
        }
        other => {
            let mut buffer = Vec::new();
            render(&mut buffer)?;
            Ok(Staged::Direct(
                other,
                String::from_utf8(buffer).context("a report is UTF-8")?,
            ))
        }
    }
}

/// Writes a report or snapshot to `path`, or to standard output for `None` or `-`.
///
/// A regular file (or one that does not exist yet) is written to a temporary file beside
/// it and renamed into place, so a failed run never leaves a half-written report. A
/// symlink is followed and its target written, never replaced. A character device or a
/// FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written directly: renaming over it would
/// replace the device with a regular file.
pub fn write_output(path: Option<&Path>, text: &str) -> Result<()> {
    let target = target(path)?;
    match &target {
        Target::File(resolved) => write_atomically(resolved, text)
            .with_context(|| format!("cannot write {}", resolved.display())),
        _ => write_direct(&target, text),
    }
}

/// The file a path names once every symlink on it is followed. A link whose target does
/// not exist yet resolves to that target, so the report is created where the link points.
fn follow_symlinks(path: &Path) -> Result<PathBuf> {
    let mut current = path.to_path_buf();
    // The same bound the kernel uses (ELOOP), so a cycle ends with an error.
    for _ in 0..40 {
        match std::fs::symlink_metadata(&current) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)
                    .with_context(|| format!("cannot read symlink {}", current.display()))?;
                current = match current.parent() {
                    Some(dir) if link.is_relative() => dir.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    bail!(
        "cannot write {}: too many levels of symlinks",
        path.display()
    )
}

/// A temporary file in the directory of `path`, so that renaming it over `path` is atomic.
fn temp_file_beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    // tempfile creates 0600 files; a report is an ordinary file (the umask still applies).
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(dir)
}

fn write_atomically(path: &Path, text: &str) -> std::io::Result<()> {
    let mut tmp = temp_file_beside(path)?;
    tmp.write_all(text.as_bytes())?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}
