//! The journal: an append-only file beside the report, one JSON line per
//! event, so that a crash loses nothing already done. A row is recorded as
//! `sent` before its request goes out and as `done` with its outcome when it
//! completes. Each line reaches the OS with one write (it survives a kill of
//! the process); a background thread syncs the file to disk at least every
//! second (it survives a power loss, within that second).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use crate::model::action::Action;
use crate::model::outcome::Outcome;

/// One line of the journal.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// The row's request is about to go out.
    Sent(Sent),
    /// The row's final outcome.
    Done(Outcome),
}

/// A row about to be sent, with what it does: a resume that finds its
/// object tells from it whether the row created or updated it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "SentLine")]
pub struct Sent {
    pub row: u64,
    pub action: Action,
}

/// A `sent` line as any release wrote it: with its `action`, or (before
/// there was one) with `existed`, whether the object existed then.
#[derive(Deserialize)]
struct SentLine {
    row: u64,
    #[serde(default)]
    action: Option<Action>,
    #[serde(default)]
    existed: bool,
}

impl From<SentLine> for Sent {
    fn from(line: SentLine) -> Sent {
        let action = line.action.unwrap_or(Action::of(line.existed));
        Sent {
            row: line.row,
            action,
        }
    }
}

pub struct Journal {
    file: Mutex<File>,
    path: PathBuf,
    dirty: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    syncer: Option<JoinHandle<()>>,
}

impl Journal {
    /// Starts a new journal, replacing any old one.
    pub(crate) fn create(path: &Path) -> anyhow::Result<Journal> {
        Journal::open(
            path,
            OpenOptions::new().create(true).write(true).truncate(true),
        )
    }

    /// Goes on with an existing journal (a resume), after its last complete line.
    pub(crate) fn append(path: &Path) -> anyhow::Result<Journal> {
        let journal = Journal::open(path, OpenOptions::new().create(true).append(true))?;
        // A torn last line (the process died mid-write) must not glue to the next event.
        let mut last = [0u8; 1];
        let mut reader = File::open(path)?;
        if reader.seek(SeekFrom::End(0))? > 0 {
            reader.seek(SeekFrom::End(-1))?;
            reader.read_exact(&mut last)?;
            if last[0] != b'\n' {
                journal
                    .file
                    .lock()
                    .expect("journal lock")
                    .write_all(b"\n")?;
            }
        }
        Ok(journal)
    }

    fn open(path: &Path, options: &OpenOptions) -> anyhow::Result<Journal> {
        let file = options
            .open(path)
            .with_context(|| format!("opening the journal {}", path.display()))?;

        let dirty = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let syncer = {
            let (file, dirty, stop) = (file.try_clone()?, dirty.clone(), stop.clone());
            std::thread::Builder::new()
                .name("journal-sync".into())
                .spawn(move || {
                    while !stop.load(Ordering::Acquire) {
                        std::thread::park_timeout(Duration::from_secs(1));
                        if dirty.swap(false, Ordering::AcqRel)
                            && let Err(e) = file.sync_data()
                        {
                            tracing::error!("syncing the journal: {e}");
                        }
                    }
                })?
        };
        Ok(Journal {
            file: Mutex::new(file),
            path: path.to_owned(),
            dirty,
            stop,
            syncer: Some(syncer),
        })
    }

    pub(crate) fn record(&self, event: &Event) -> anyhow::Result<()> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');
        // One write per line: a reader never sees half an event from us.
        self.file
            .lock()
            .expect("journal lock")
            .write_all(&line)
            .with_context(|| format!("writing the journal {}", self.path.display()))?;
        self.dirty.store(true, Ordering::Release);
        Ok(())
    }

    /// Reads every complete event of a journal (a torn last line is ignored).
    pub fn read(path: &Path) -> anyhow::Result<Vec<Event>> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect())
    }

    /// Syncs, stops the syncer and deletes the journal: its content is in the report now.
    pub(crate) fn remove(mut self) -> anyhow::Result<()> {
        self.shutdown();
        std::fs::remove_file(&self.path)
            .with_context(|| format!("removing {}", self.path.display()))
    }

    fn shutdown(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(syncer) = self.syncer.take() {
            syncer.thread().unpark();
            let _ = syncer.join();
        }
        let _ = self.file.lock().expect("journal lock").sync_data();
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::outcome::RowResult;

    #[test]
    fn events_read_back_as_written_and_a_torn_last_line_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let path = crate::files::beside::Beside::Journal.of(&dir.path().join("x.report.csv"));
        let journal = Journal::create(&path).unwrap();
        let sent = Sent {
            row: 2,
            action: Action::Create,
        };
        journal.record(&Event::Sent(sent)).unwrap();
        let mut done = Outcome::new(2, RowResult::Created);
        done.source_id = Some("id".into());
        journal.record(&Event::Done(done.clone())).unwrap();
        drop(journal);
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"se")
            .unwrap();
        assert_eq!(
            Journal::read(&path).unwrap(),
            [Event::Sent(sent), Event::Done(done)]
        );
    }

    #[test]
    fn a_journal_of_the_release_before_actions_reads_as_the_same_actions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.journal");
        let old = concat!(
            "{\"event\":\"sent\",\"row\":2,\"existed\":false}\n",
            "{\"event\":\"sent\",\"row\":3,\"existed\":true}\n",
            "{\"event\":\"sent\",\"row\":4}\n",
        );
        std::fs::write(&path, old).unwrap();
        let actions: Vec<(u64, Action)> = (Journal::read(&path).unwrap().into_iter())
            .map(|e| match e {
                Event::Sent(s) => (s.row, s.action),
                Event::Done(o) => panic!("no outcome was written: {o:?}"),
            })
            .collect();
        assert_eq!(
            actions,
            [
                (2, Action::Create),
                (3, Action::Update),
                (4, Action::Create)
            ]
        );
        let new = serde_json::to_string(&Event::Sent(Sent {
            row: 3,
            action: Action::Update,
        }))
        .unwrap();
        assert_eq!(new, r#"{"event":"sent","row":3,"action":"update"}"#);
    }
}
