//! `export --kind dictionary`: the version's dictionary (the containers,
//! structures and fields under the sources in `--scope`), listed once and
//! written as one row per field or in DataGalaxy's `Path`/`Type` format, a
//! file `run` reads back, the custom attributes of each kind in a column
//! of their own.

use std::collections::BTreeMap;

use super::{Exported, write_out};
use crate::cli::config::ExportConfig;
use crate::client::api::Client;
use crate::client::pace::Pace;
use crate::commands::signals::Interrupt;
use crate::exit::usage;
use crate::files::table::Book;
use crate::files::workbook;
use crate::pipeline::dictionary::columns::Level;
use crate::pipeline::dictionary::custom::Customs;
use crate::pipeline::dictionary::export::{Cells, Format, table};
use crate::pipeline::dictionary::listing;
use crate::pipeline::directory;
use crate::pipeline::input::Notation;
use crate::pipeline::progress::Progress;

/// The most rows a sheet holds, its header aside.
const SHEET_ROWS: usize = 1_048_575;

pub(super) async fn list_and_write(
    config: &ExportConfig,
    format: Format,
    client: &Client,
    pace: &std::sync::Arc<Pace>,
    interrupt: &Interrupt,
) -> anyhow::Result<Exported> {
    let progress = Progress::start(None, config.quiet, pace.clone());
    let keep = |technical_name: &str| {
        (config.scope.as_ref()).is_none_or(|s| s.matches(technical_name, None))
    };
    let listing = async {
        let ws = config.workspace.as_deref();
        let target = directory::locate(client, ws, config.version.as_deref()).await?;
        let customs = Customs::load(client).await?;
        let custom = |level: Level, name: &str| customs.format(level, name);
        let held = listing::list(client, &target, keep, &custom).await?;
        anyhow::Ok((target, held, customs))
    };
    let found = tokio::select! {
        found = listing => found,
        _ = interrupt.cancelled() => Err(interrupt.stop().into()),
    };
    progress.finish();
    let (target, held, customs) = found?;
    let custom = customs.names();
    let cells = Cells {
        separator: Notation::of(config.delimiter, None).list_separator,
        custom: &custom,
    };
    let table = table(&held.tree, format, &cells)?;
    if config.output.as_deref().is_some_and(workbook::is_workbook) {
        refuse_for_a_sheet(&table.rows)?;
    }
    let book = Book {
        sheet: &target.version_name,
        look: workbook::Look::default(),
    };
    let mut rows = table.rows.into_iter().map(Ok);
    let output = write_out(config, &table.headers, &mut rows, book)?;
    let counts = held.tree.counts();
    let objects: BTreeMap<String, usize> = [
        (Level::Container, "containers"),
        (Level::Structure, "structures"),
        (Level::Field, "fields"),
    ]
    .into_iter()
    .map(|(level, word)| (word.to_owned(), counts.get(&level).copied().unwrap_or(0)))
    .collect();
    let parents = crate::pipeline::dictionary::export::parents(&held.tree);
    let sources = (held.tree.iter())
        .filter(|n| n.level() == Level::Source && parents.contains(&n.at))
        .count();
    Ok(Exported {
        output,
        sources,
        attribute_columns: custom.into_iter().map(|(name, _)| name).collect(),
        warnings: vec![],
        target,
        objects,
    })
}

/// A sheet holds 1,048,576 rows and cells of 32,767 characters: a
/// dictionary beyond either is refused whole, pointing at CSV.
fn refuse_for_a_sheet(rows: &[Vec<String>]) -> anyhow::Result<()> {
    if rows.len() > SHEET_ROWS {
        return Err(usage(format!(
            "the dictionary is {} rows, more than a sheet holds ({SHEET_ROWS}); nothing was \
             written: export it to CSV instead (--output FILE.csv)",
            rows.len()
        )));
    }
    match rows.iter().find(|r| r.iter().any(|c| !workbook::fits(c))) {
        Some(row) => Err(usage(format!(
            "'{}' holds a value longer than an Excel cell holds ({} characters); nothing was \
             written: export it to CSV instead (--output FILE.csv)",
            row.first().map_or("", String::as_str),
            workbook::CELL_LIMIT
        ))),
        None => Ok(()),
    }
}
