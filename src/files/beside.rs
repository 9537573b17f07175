//! The files a run keeps beside its report, named in one place: the
//! journal, the run record, the lock, the previous report, the retired list
//! (and the previous one of any file a command replaces). The rooms that
//! write them, and the check of every output before the first request, ask
//! here.

use std::path::{Path, PathBuf};

/// A file beside the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Beside {
    /// `<report>.journal`: the events of a run under way.
    Journal,
    /// `<report>.run.json`: what a rerun or a resume needs.
    Record,
    /// `<report>.lock`: one writer per report.
    Lock,
    /// `r.report.prev.csv`: the report a command replaced.
    Previous,
    /// `r.report.retired.csv`: the sources a run retired.
    Retired,
}

impl Beside {
    /// Its path beside `report`.
    pub(crate) fn of(self, report: &Path) -> PathBuf {
        match self {
            Beside::Journal => suffixed(report, ".journal"),
            Beside::Record => suffixed(report, ".run.json"),
            Beside::Lock => suffixed(report, ".lock"),
            Beside::Previous => previous(report),
            Beside::Retired => {
                let stem = report.file_stem().unwrap_or_default().to_string_lossy();
                let ext =
                    (report.extension()).map_or_else(|| "csv".into(), |e| e.to_string_lossy());
                report.with_file_name(format!("{stem}.retired.{ext}"))
            }
        }
    }

    /// What it is called in messages.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Beside::Journal => "the journal",
            Beside::Record => "the run record",
            Beside::Lock => "the report's lock",
            Beside::Previous => "the previous report",
            Beside::Retired => "the retired list",
        }
    }
}

/// `r.report.csv` → `r.report.prev.csv`: where the file a command replaces
/// (a report, a retired list, an export) is kept.
pub(crate) fn previous(path: &Path) -> PathBuf {
    let ext = path.extension().unwrap_or_default().to_string_lossy();
    match ext.is_empty() {
        true => path.with_extension("prev"),
        false => path.with_extension(format!("prev.{ext}")),
    }
}

fn suffixed(report: &Path, suffix: &str) -> PathBuf {
    let mut name = report.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_beside_a_report_has_one_name() {
        let report = Path::new("out/sources.report.csv");
        let named = |b: Beside| b.of(report).display().to_string();
        assert_eq!(named(Beside::Journal), "out/sources.report.csv.journal");
        assert_eq!(named(Beside::Record), "out/sources.report.csv.run.json");
        assert_eq!(named(Beside::Lock), "out/sources.report.csv.lock");
        assert_eq!(named(Beside::Previous), "out/sources.report.prev.csv");
        assert_eq!(named(Beside::Retired), "out/sources.report.retired.csv");
        let sheet = Path::new("r.report.xlsx");
        assert_eq!(
            Beside::Retired.of(sheet),
            Path::new("r.report.retired.xlsx")
        );
        assert_eq!(previous(Path::new("summary")), Path::new("summary.prev"));
    }
}
