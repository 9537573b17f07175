//! One writer per report: an OS file lock on `<report>.lock`, held for the
//! whole command. The kernel releases it when the holder dies, so a kill -9
//! never leaves a report locked. The file keeps the holder's PID for the
//! message the next one gets. The holder removes it when done, while still
//! holding it; so a lock taken on a file that was meanwhile removed (or
//! replaced) is no lock: the opener checks that the path still names the
//! file it locked, and tries again otherwise.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::exit::usage;
use crate::files::beside::Beside;

pub struct ReportLock {
    file: File,
    path: PathBuf,
}

/// Opens and locks `path` once: `None` when the file locked is no longer
/// the one at `path` (its holder removed it in between).
fn lock_once(path: &Path, report: &Path) -> anyhow::Result<Option<File>> {
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another process".to_owned()
            } else {
                format!("process {holder}")
            };
            return Err(usage(format!(
                "{who} is already writing {} (lock {}): wait for it to finish",
                report.display(),
                path.display()
            )));
        }
        Err(TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking {}", path.display()));
        }
    }
    let locked = same_file::Handle::from_file(file.try_clone()?)?;
    match same_file::Handle::from_path(path) {
        Ok(at_path) if at_path == locked => Ok(Some(file)),
        _ => Ok(None),
    }
}

impl ReportLock {
    pub fn acquire(report: &Path) -> anyhow::Result<ReportLock> {
        let path = Beside::Lock.of(report);
        // Another holder removing the file between our open and our lock
        // is rare; a path that never stays put is an error, not a spin.
        let mut tries = 0;
        let mut file = loop {
            if let Some(file) = lock_once(&path, report)? {
                break file;
            }
            tries += 1;
            if tries == 100 {
                anyhow::bail!("locking {}: the file keeps being replaced", path.display());
            }
        };
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        file.flush()?;
        Ok(ReportLock { file, path })
    }
}

impl Drop for ReportLock {
    /// Removed while still held: the next opener then makes a new one.
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_of_the_same_report_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("r.csv");
        let held = ReportLock::acquire(&report).unwrap();
        let err = ReportLock::acquire(&report)
            .err()
            .expect("refused")
            .to_string();
        assert!(
            err.contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        drop(held);
        assert!(
            !Beside::Lock.of(&report).exists(),
            "the lock file goes with its holder"
        );
        assert!(ReportLock::acquire(&report).is_ok());
    }
}
