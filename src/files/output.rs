//! Where a command may write, decided before its first request: each output
//! is a regular file or absent, in a folder that exists and takes a new
//! file. A symlink is written through (the file it names is the one
//! replaced); `/dev/null` is a sink where the caller allows one, and `-`
//! (standard output) is the caller's to handle. Anything else (a folder,
//! another device, a named pipe, a socket) is refused, naming the path and
//! what it is, before anything is written anywhere.

use std::io::Write;
use std::path::Path;

use crate::exit::usage;
use crate::files::atomic::{destination, folder_of, is_null};

/// What else an output may be, besides a regular file or nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Allow {
    /// `-` means standard output (the hint says so).
    pub(crate) stdout: bool,
    /// `/dev/null` is accepted, and what is written there is dropped.
    pub(crate) null: bool,
}

impl Allow {
    pub(crate) const FILE: Allow = Allow {
        stdout: false,
        null: false,
    };
    pub(crate) const ANY: Allow = Allow {
        stdout: true,
        null: true,
    };
}

/// Writes a summary as pretty JSON: `-` to standard output, else
/// atomically to `path`.
pub(crate) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> anyhow::Result<()> {
    if path.as_os_str() != "-" {
        return crate::files::atomic::write_json(path, value);
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(out.flush()?)
}

/// What is at a path that cannot be written as a file, in words.
fn what_it_is(meta: &std::fs::Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_file() {
        return None;
    }
    if kind.is_dir() {
        return Some("a folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return Some("a named pipe (FIFO)");
        }
        if kind.is_socket() {
            return Some("a socket");
        }
        if kind.is_char_device() || kind.is_block_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

/// The system folder (`/dev`, `/proc`, `/sys`) `folder` is in, if any: a
/// name there that is no device yet (`/dev/sda` in a container) would
/// become a file beside the devices, with a journal beside it.
/// `/dev/shm` holds files.
fn system_folder(folder: &Path) -> Option<&'static str> {
    if !cfg!(unix) {
        return None;
    }
    let real = std::fs::canonicalize(folder).ok()?;
    let shm = real.starts_with("/dev/shm");
    ["/dev", "/proc", "/sys"]
        .into_iter()
        .find(|system| real.starts_with(system) && !shm)
}

/// Checks that `path` can take what `what` (the option, or the file's role)
/// writes: refused with exit 2, naming the path and what is wrong, and how
/// to write elsewhere.
pub(crate) fn check(what: &str, path: &Path, allow: Allow) -> anyhow::Result<()> {
    let refuse = |why: String| {
        let hint = match allow.stdout {
            true => "; name a file, or - for standard output",
            false => "; name a file",
        };
        usage(format!(
            "{what} {}: {why}{hint}; nothing was sent",
            path.display()
        ))
    };
    if (allow.stdout && path.as_os_str() == "-") || (allow.null && is_null(path)) {
        return Ok(());
    }
    let dest = destination(path);
    let through = match dest != path {
        true => format!(" (a link to {})", dest.display()),
        false => String::new(),
    };
    match std::fs::metadata(&dest) {
        Ok(meta) => {
            if let Some(it) = what_it_is(&meta) {
                return Err(refuse(format!("is {it}{through}, not a file")));
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(refuse(format!("cannot be read{through} ({e})"))),
    }
    let folder = folder_of(&dest);
    if let Some(system) = system_folder(folder) {
        return Err(refuse(format!(
            "is in {system}, where the system keeps devices, not files{through}"
        )));
    }
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(refuse(format!("{} is not a folder", folder.display()))),
        Err(_) => {
            return Err(refuse(format!(
                "cannot write there{through} (no such folder)"
            )));
        }
    }
    // The folder takes a new file (the scratch file every replacement uses).
    tempfile::NamedTempFile::new_in(folder)
        .map(drop)
        .map_err(|e| {
            let why = std::io::Error::from(e.kind()).to_string();
            refuse(format!("cannot write there{through} ({why})"))
        })
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn refusal(path: &Path, allow: Allow) -> String {
        let err = check("--summary-json", path, allow).expect_err("refused");
        assert_eq!(crate::exit::code_of_error(&err), crate::exit::USAGE);
        err.to_string()
    }

    #[test]
    fn folders_devices_and_pipes_are_refused_naming_what_they_are() {
        let dir = tempfile::tempdir().unwrap();
        let said = refusal(dir.path(), Allow::ANY);
        assert!(said.contains("is a folder, not a file"), "{said}");
        assert!(said.contains("or - for standard output"), "{said}");
        let said = refusal(Path::new("/dev/full"), Allow::ANY);
        assert!(said.contains("/dev/full: is a device"), "{said}");
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let said = refusal(&fifo, Allow::FILE);
        assert!(said.contains("is a named pipe (FIFO)"), "{said}");
        assert!(!said.contains("standard output"), "{said}");
        let said = refusal(Path::new("/dev/null"), Allow::FILE);
        assert!(said.contains("is a device"), "{said}");
        let said = refusal(Path::new("/dev/no-such-device-here"), Allow::ANY);
        assert!(
            said.contains("is in /dev, where the system keeps devices"),
            "{said}"
        );
        assert!(check("x", Path::new("/dev/null"), Allow::ANY).is_ok());
    }

    #[test]
    fn a_link_is_judged_by_the_file_it_names() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.json");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        assert_eq!(destination(&link), target, "relative to the link's folder");
        assert!(check("x", &link, Allow::FILE).is_ok(), "a dangling link");
        let to_dir = dir.path().join("to_dir");
        std::os::unix::fs::symlink(dir.path(), &to_dir).unwrap();
        let said = refusal(&to_dir, Allow::FILE);
        assert!(said.contains("is a folder (a link to"), "{said}");
        let gone = dir.path().join("nowhere/x.json");
        let said = refusal(&gone, Allow::FILE);
        assert!(said.contains("no such folder"), "{said}");
    }
}
