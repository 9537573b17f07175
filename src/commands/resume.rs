//! What earlier runs into a report left for this one, and what this one
//! leaves for the next, for every kind of object: a `--resume` of a run
//! that finished (nothing to do), a journal in the way (resume it or pass
//! `--force`), an input that changed since (refused), and the run record
//! written before the journal this run appends to.

use crate::cli::config::{ImportConfig, Task};
use crate::exit::{self, usage};
use crate::files::beside::Beside;
use crate::pipeline::directory::Target;
use crate::pipeline::input::{self, Input, InputOptions, Layout};
use crate::pipeline::journal::Journal;
use crate::pipeline::plan::Prior;
use crate::pipeline::record::{self, RunRecord};
use crate::pipeline::retire::Retiree;
use crate::pipeline::summary::Encoding;

/// `--resume` when the last run into the report finished: nothing is left
/// to do, nothing is sent, and its exit code is this one's (with what to
/// tell the user).
pub(crate) fn finished_already(config: &ImportConfig) -> anyhow::Result<Option<(u8, String)>> {
    if !config.job.resume() || !config.carry || Beside::Journal.of(&config.report).exists() {
        return Ok(None);
    }
    let Some(last) = RunRecord::read(&Beside::Record.of(&config.report))? else {
        return Ok(None);
    };
    let Some(code) = last.exit_code.filter(|_| last.finished()) else {
        return Ok(None);
    };
    let hash = config.job.input().map(record::sha256_of).transpose()?;
    refuse_changed_input(config, &last, hash.as_deref())?;
    let report = config.report.display();
    let next = match code {
        exit::SUCCESS => String::new(),
        _ => format!("; `dg-import rerun {report}` tries again the rows it did not do"),
    };
    let said = format!(
        "nothing to resume: the last command into {report} (`{}` of {}) finished, \
         exit code {code}{next}",
        last.command, last.input
    );
    Ok(Some((code, said)))
}

/// What an interrupted or finished earlier run left for this one, and
/// whether this one resumes its journal. `reads_report`: a resume without a
/// journal carries what the report of a run that stopped early says was
/// done (a sources report; a dictionary's run keeps its journal instead).
pub(crate) fn prior_work(
    config: &ImportConfig,
    input_hash: Option<&str>,
    reads_report: bool,
) -> anyhow::Result<(Prior, bool)> {
    let journal_path = &Beside::Journal.of(&config.report);
    let resume = config.job.resume();
    let recorded = RunRecord::read(&Beside::Record.of(&config.report))?;
    let same_input =
        |r: &RunRecord| r.input_sha256.as_deref() == input_hash && input_hash.is_some();
    // Another target (--other-target): what was done there is not done here.
    if !config.carry {
        let prior = Prior {
            other_target: true,
            ..Prior::default()
        };
        return Ok((prior, false));
    }
    if journal_path.exists() {
        if !resume && !config.force {
            return Err(usage(format!(
                "{} holds an unfinished run into {}: pass --resume to finish it, or --force to start over",
                journal_path.display(),
                config.report.display()
            )));
        }
        if resume {
            match &recorded {
                Some(r) => refuse_changed_input(config, r, input_hash)?,
                None => {
                    return Err(usage(
                        "cannot resume: the run record is missing; pass --force to start over",
                    ));
                }
            }
            let prior = Prior::from_journal(Journal::read(journal_path)?);
            tracing::info!(
                "resuming: {} rows done, {} sent without an answer",
                prior.done.len(),
                prior.sent.len()
            );
            return Ok((prior, true));
        }
        return Ok((Prior::default(), false));
    }
    // Nothing in flight. A resume of a run that finished has only what its
    // report left, and only for the file that run read.
    if let (true, Some(r)) = (resume, &recorded) {
        refuse_changed_input(config, r, input_hash)?;
    }
    let finished = resume
        && reads_report
        && config.report.exists()
        && recorded.as_ref().is_some_and(same_input)
        && matches!(config.job, Task::Run { .. });
    if !finished {
        return Ok((Prior::default(), false));
    }
    let mut prior = Prior::default();
    let options = InputOptions {
        headers: config.input.headers.clone(),
        ..Default::default()
    };
    for row in Input::open(Some(&config.report), Layout::Report, &options)? {
        if let Some(outcome) = row?.previous {
            prior.carry(outcome);
        }
    }
    tracing::info!(
        "resuming a run that stopped early: {} rows done are not sent again",
        prior.done.len()
    );
    Ok((prior, false))
}

/// A resume continues the file the recorded run read: a `run` record whose
/// input hash differs is refused, journal or not (a rerun's record hashes
/// the report, which the rerun itself replaces at its end).
fn refuse_changed_input(
    config: &ImportConfig,
    recorded: &RunRecord,
    input_hash: Option<&str>,
) -> anyhow::Result<()> {
    let unfinished = Beside::Journal.of(&config.report).exists();
    if recorded.command != "run" && !unfinished {
        return Ok(());
    }
    if recorded.input_sha256.is_some() && recorded.input_sha256.as_deref() == input_hash {
        return Ok(());
    }
    let name = input::display_name(config.job.input());
    Err(usage(format!(
        "cannot resume: {name} is not the file the run into {} read ({}: its content \
         changed since, or it is another file); to import it as it is now, run without \
         --resume (with --if-exists update, the sources already made are compared, not \
         refused), or pass --force to start over; nothing was sent",
        config.report.display(),
        recorded.input
    )))
}

/// What the run record says of the input.
pub(crate) struct InputFacts {
    pub(crate) name: String,
    pub(crate) hash: Option<String>,
    /// The encoding of a CSV input that is not UTF-8.
    pub(crate) encoding: Option<Encoding>,
}

/// The run record first, then the journal (appended to when resuming);
/// none for a `check`.
pub(crate) fn start_journal(
    config: &ImportConfig,
    url: &reqwest::Url,
    target: &Target,
    input: &InputFacts,
    resuming: bool,
    retire: Option<Vec<Retiree>>,
) -> anyhow::Result<Option<Journal>> {
    if matches!(config.job, Task::Check { .. }) {
        return Ok(None);
    }
    let record = RunRecord {
        schema_version: record::SCHEMA_VERSION,
        command: config.job.name().into(),
        url: url.to_string(),
        sandbox: matches!(
            config.endpoint,
            crate::client::session::Endpoint::Sandbox { .. }
        ),
        target: target.clone(),
        if_exists: config.if_exists,
        input: input.name.clone(),
        input_sha256: input.hash.clone(),
        // A resume reads the file as this run did, detected encoding included.
        input_options: InputOptions {
            encoding: (config.input.encoding.clone())
                .or(input.encoding.as_ref().map(|e| e.name.clone())),
            ..config.input.clone()
        },
        create_missing_tags: config.create_missing_tags,
        clear_empty_cells: config.clear_empty_cells,
        retire,
        exit_code: None,
    };
    record.write(&Beside::Record.of(&config.report))?;
    let path = Beside::Journal.of(&config.report);
    match resuming {
        true => Journal::append(&path).map(Some),
        false => Journal::create(&path).map(Some),
    }
}
