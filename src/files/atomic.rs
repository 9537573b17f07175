//! Files replaced whole or not at all: written to a temporary file beside
//! the destination (same file system), synced, then renamed over it.

use std::path::Path;

use anyhow::Context;
use serde::Serialize;

/// The folder a file lives in (`.` for a bare file name).
pub(crate) fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Writes `value` as pretty JSON to `path`, atomically.
pub(crate) fn write_json<T: Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    write_with(path, |out| Ok(serde_json::to_writer_pretty(out, value)?))
}

/// A temporary file is private (0600): the file that replaces `path` gets
/// the permissions `path` had, or those of a file created anew (0644).
#[cfg(unix)]
fn keep_permissions(tmp: &Path, path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let permissions = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::fs::Permissions::from_mode(0o644));
    std::fs::set_permissions(tmp, permissions)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(unix))]
fn keep_permissions(_tmp: &Path, _path: &Path) -> anyhow::Result<()> {
    Ok(())
}

/// Writes what `write` writes to `path`, atomically.
pub(crate) fn write_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(folder_of(path))
        .with_context(|| format!("writing {}", path.display()))?;
    write(tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    keep_permissions(tmp.path(), path)?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// `r.report.csv` → `r.report.prev.csv`: where the file a command replaces is kept.
pub(crate) fn prev_path(path: &Path) -> std::path::PathBuf {
    let ext = path.extension().unwrap_or_default().to_string_lossy();
    match ext.is_empty() {
        true => path.with_extension("prev"),
        false => path.with_extension(format!("prev.{ext}")),
    }
}

/// Keeps `path`, if it exists, as `prev_path(path)`, before it is replaced.
pub(crate) fn keep_previous(path: &Path) -> anyhow::Result<()> {
    if path.exists() {
        let prev = prev_path(path);
        std::fs::copy(path, &prev).with_context(|| format!("keeping {}", prev.display()))?;
    }
    Ok(())
}

/// Whether `a` and `b` name one file on disk (through links too); `false`
/// when either does not exist.
pub(crate) fn same_file(a: &Path, b: &Path) -> bool {
    same_file::is_same_file(a, b).unwrap_or(false)
}

/// Whether a file can be put at `path` (its folder takes a new file): checked
/// before the first request, so that a path that cannot be written stops
/// the command before any write (`what` names the option in the message).
pub(crate) fn check_writable(path: &Path, what: &str) -> anyhow::Result<()> {
    tempfile::NamedTempFile::new_in(folder_of(path))
        .map(drop)
        .map_err(|e| {
            // Without the name of the scratch file we tried.
            let why = match e.kind() {
                std::io::ErrorKind::NotFound => "no such folder".to_owned(),
                kind => std::io::Error::from(kind).to_string(),
            };
            crate::exit::usage(format!(
                "{what} {}: cannot write there ({why}); nothing was sent",
                path.display()
            ))
        })
}
