//! The run record, `<report>.run.json`: what a rerun or a resume needs that
//! the report cannot carry. The target (URL, workspace and version), the
//! options that shape rows, and the hash of the input that was read. Never
//! the token.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::if_exists::IfExists;
use crate::pipeline::directory::Target;
use crate::pipeline::input::InputOptions;

pub(crate) const SCHEMA_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub(crate) schema_version: u32,
    /// `run`, `rerun` or `check`.
    pub(crate) command: String,
    pub(crate) url: String,
    /// Of an in-process sandbox (`--sandbox`): its URL is new every time.
    #[serde(default)]
    pub(crate) sandbox: bool,
    pub(crate) target: Target,
    pub(crate) if_exists: IfExists,
    /// The file the rows were read from (the CSV, or the report for a rerun).
    pub(crate) input: String,
    /// Its SHA-256, hex; `None` for standard input.
    pub(crate) input_sha256: Option<String>,
    /// How the input was read (mapping, separators, extra columns, sheet).
    #[serde(default)]
    pub(crate) input_options: InputOptions,
    #[serde(default)]
    pub(crate) create_missing_tags: bool,
    /// `--empty-cells clear`.
    #[serde(default)]
    pub(crate) clear_empty_cells: bool,
    /// The sources `--retire-missing` decided to retire, before any write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) retire: Option<Vec<crate::pipeline::retire::Retiree>>,
    /// Set once the report is in place: the command's exit code. `None`
    /// while it runs, and after a crash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) exit_code: Option<u8>,
}

impl RunRecord {
    pub fn read(path: &Path) -> anyhow::Result<Option<RunRecord>> {
        match std::fs::read(path) {
            Ok(bytes) => Ok(Some(
                serde_json::from_slice(&bytes)
                    .with_context(|| format!("reading {}", path.display()))?,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Written atomically, before the journal starts.
    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        crate::files::atomic::write_json(path, self)
    }

    /// Whether the run finished (its exit code says it did not stop early:
    /// a stopped run is finished by `--resume`).
    pub(crate) fn finished(&self) -> bool {
        matches!(
            self.exit_code,
            Some(crate::exit::SUCCESS | crate::exit::SOME_ROWS_NOT_DONE)
        )
    }

    /// Records the exit code of the run that wrote `path`, once its report is in place.
    pub(crate) fn mark_done(path: &Path, exit_code: u8) -> anyhow::Result<()> {
        if let Some(mut record) = RunRecord::read(path)? {
            record.exit_code = Some(exit_code);
            record.write(path)?;
        }
        Ok(())
    }
}

/// SHA-256 of a file, hex, streamed.
pub(crate) fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}
