//! Files replaced whole or not at all: written to a temporary file beside
//! the destination (same file system), synced, then renamed over it. A
//! symlink is written through: the file it names is the one replaced.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

/// The folder a file lives in (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The file that writing `path` replaces: the end of its chain of symlinks
/// (relative links read from their own folder), or `path` itself.
pub(crate) fn destination(path: &Path) -> PathBuf {
    let mut at = path.to_path_buf();
    // As the kernel, give up on a chain longer than 40 links (a loop).
    for _ in 0..40 {
        match std::fs::read_link(&at) {
            Ok(target) if target.is_absolute() => at = target,
            Ok(target) => at = folder_of(&at).join(target),
            Err(_) => return at,
        }
    }
    at
}

/// Whether `path` is (or links to) the null device.
pub(crate) fn is_null(path: &Path) -> bool {
    #[cfg(unix)]
    let null = Path::new("/dev/null");
    #[cfg(not(unix))]
    let null = Path::new("NUL");
    path == null || same_file(path, null)
}

/// Writes `value` as pretty JSON to `path`, atomically (buffered: the
/// sandbox's state of a million fields is not a write call per token).
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    use std::io::Write;
    write_with(path, |out| {
        let mut out = std::io::BufWriter::new(out);
        serde_json::to_writer_pretty(&mut out, value)?;
        Ok(out.flush()?)
    })
}

/// A temporary file is private (0600): the file that replaces `path` gets
/// the permissions `path` had, or those a file created anew gets (0666
/// less the umask: 0644 with the usual 022).
#[cfg(unix)]
fn keep_permissions(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o666 & !umask()));
    std::fs::set_permissions(tmp, permissions)
        .with_context(|| format!("writing {}", path.display()))
}

/// The process's umask, read without changing it (Linux says it in
/// /proc/self/status); 022 where it cannot be read.
#[cfg(unix)]
fn umask() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    (status.lines())
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|m| u32::from_str_radix(m.trim(), 8).ok())
        .unwrap_or(0o022)
}

#[cfg(not(unix))]
fn keep_permissions(_tmp: &Path, _path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Writes what `write` writes to `path`, atomically: through a symlink (the
/// file it names is replaced, in that file's folder); to the null device,
/// in place.
pub(crate) fn write_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    if is_null(path) {
        let mut null = std::fs::OpenOptions::new().write(true).open(path)?;
        return write(&mut null);
    }
    let dest = destination(path);
    let mut tmp = tempfile::NamedTempFile::new_in(folder_of(&dest))
        .with_context(|| format!("writing {}", path.display()))?;
    write(tmp.as_file_mut())?;
    persist(tmp, path)
}

/// Puts a finished scratch file in the place of `path` (through a symlink),
/// synced, with the permissions the file it replaces had.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> anyhow::Result<()> {
    let dest = destination(path);
    tmp.as_file().sync_all()?;
    keep_permissions(tmp.path(), &dest)?;
    tmp.persist(&dest)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// A scratch file where `path` will be put in place (beside the file a
/// symlink names), named `prefix…` so that a user who sees one knows it.
pub(crate) fn scratch_for(path: &Path, prefix: &str) -> anyhow::Result<tempfile::NamedTempFile> {
    let dest = destination(path);
    let dir = folder_of(&dest);
    tempfile::Builder::new()
        .prefix(prefix)
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("creating {} in {}", path.display(), dir.display()))
}

/// Keeps `path`, if it exists, as its previous one (`beside::previous`), before it is replaced.
pub(crate) fn keep_previous(path: &Path) -> anyhow::Result<()> {
    if path.is_file() {
        let prev = crate::files::beside::previous(path);
        std::fs::copy(path, &prev).with_context(|| format!("keeping {}", prev.display()))?;
    }
    Ok(())
}

/// Whether `a` and `b` name one file on disk (through links too); `false`
/// when either does not exist. Never opens them: opening a named pipe waits
/// for its other end.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (std::fs::metadata(a), std::fs::metadata(b)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        same_file::is_same_file(a, b).unwrap_or(false)
    }
}
