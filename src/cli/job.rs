//! Job files: `dg-import run|check|rerun --config JOB.toml`. Every long
//! option of the command is a key of the same name, `input` its positional
//! argument; the file becomes command-line arguments placed before the ones
//! typed, so that clap reads both alike. Precedence: the command line, then
//! the file, then the environment (`DATAGALAXY_URL`), then the run record,
//! then the defaults; a repeatable option typed replaces the file's array.
//!
//! In strings, `${NAME}` is read from the environment (unset: an error) and
//! `$$` is a `$`. Relative paths are relative to the job file. A `token`
//! key is refused: a token never lives in a job file.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::cli::Cli;
use crate::exit::usage;
use crate::model::suggest;

/// The commands that take `--config`.
const COMMANDS: [&str; 5] = ["run", "check", "rerun", "export", "doctor"];
/// Keys whose values are paths, relative to the job file.
const PATHS: [&str; 8] = [
    "output",
    "input",
    "report",
    "token-file",
    "ca-cert",
    "summary-json",
    "sandbox-seed",
    "config",
];

/// The command line with the job file's options put in, when it names one;
/// otherwise as it is. `env` reads the environment.
pub fn expand(
    args: Vec<OsString>,
    env: impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<OsString>> {
    let Some(at) = args
        .iter()
        .position(|a| a.to_str().is_some_and(|a| COMMANDS.contains(&a)))
    else {
        return Ok(args);
    };
    let Some(path) = config_path(&args[at + 1..]) else {
        return Ok(args);
    };
    let command = args[at].to_string_lossy().into_owned();
    let typed: Vec<String> = args[at + 1..]
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let from_file = file_args(&command, &path, &typed, &env)?;
    let mut out = args[..=at].to_vec();
    out.extend(from_file.into_iter().map(OsString::from));
    out.extend_from_slice(&args[at + 1..]);
    Ok(out)
}

fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut words = args.iter().map(|a| a.to_string_lossy());
    while let Some(word) = words.next() {
        if let Some(path) = word.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
        if word == "--config" {
            return words.next().map(|p| PathBuf::from(p.as_ref()));
        }
    }
    None
}

/// The long options `command` takes, and whether each takes a value.
fn options_of(command: &str) -> Vec<(String, bool)> {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(command)
        .expect("a command that takes --config");
    sub.get_arguments()
        .chain(cli.get_arguments())
        .filter_map(|a| {
            let takes_value = a.get_action().takes_values();
            a.get_long().map(|l| (l.to_owned(), takes_value))
        })
        .collect()
}

/// Whether the command line has a positional argument (the input).
fn has_positional(typed: &[String], options: &[(String, bool)]) -> bool {
    let mut words = typed.iter();
    while let Some(word) = words.next() {
        if let Some(long) = word.strip_prefix("--") {
            let takes_value = options.iter().any(|(o, v)| o == long && *v);
            if takes_value && !long.contains('=') {
                words.next();
            }
        } else if word.starts_with('-') && word.len() > 1 {
            // Short flags (-v, -q) take no value.
        } else {
            return true;
        }
    }
    false
}

fn file_args(
    command: &str,
    path: &Path,
    typed: &[String],
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<String>> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("reading --config {name}: {e}")))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| usage(format!("--config {name}: {e}")))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let options = options_of(command);
    let mut args = Vec::new();
    let mut input = None;
    for (key, value) in &table {
        if key == "token" {
            return Err(usage(format!(
                "--config {name}: a token never lives in a job file: use token-file = \"PATH\" \
                 or the DATAGALAXY_TOKEN environment variable"
            )));
        }
        // `export` reads no file: it has no `input`.
        let takes_input = command != "export";
        let known = (key == "input" && takes_input)
            || options.iter().any(|(o, _)| o == key) && key != "config";
        // A check and doctor read a run's job file: the keys of the run's
        // writes (batch-size, if-exists, retire-missing) mean nothing to them.
        let reads_runs = command == "check" || command == "doctor";
        if !known && reads_runs && options_of("run").iter().any(|(o, _)| o == key) {
            continue;
        }
        if !known {
            let input = takes_input.then_some("input");
            let keys = options.iter().map(|(o, _)| o.as_str()).chain(input);
            let hint = suggest::closest(key, keys)
                .map(|k| format!(" — did you mean {k}?"))
                .unwrap_or_default();
            return Err(usage(format!(
                "--config {name}: unknown key '{key}' for {command}{hint}"
            )));
        }
        let typed_too = typed_long(typed, key) || conflicts_with_typed(command, key, typed);
        let values =
            values_of(key, value, env).map_err(|e| usage(format!("--config {name}: {e}")))?;
        let values: Vec<String> = values
            .into_iter()
            .map(|v| match PATHS.contains(&key.as_str()) && v != "-" {
                true => base.join(&v).display().to_string(),
                false => v,
            })
            .collect();
        if key == "input" {
            input = values.into_iter().next();
            continue;
        }
        if typed_too {
            continue;
        }
        let takes_value = options.iter().any(|(o, v)| o == key && *v);
        let spelt = key_args(command, key, values, takes_value)
            .map_err(|e| usage(format!("--config {name}: {e}")))?;
        args.extend(spelt);
    }
    if let Some(input) = input.filter(|_| !has_positional(typed, &options)) {
        args.push(input);
    }
    Ok(args)
}

/// A key's values as command-line words: `--key value` for an option (its
/// value checked as clap would), `--key` for a switch set true.
fn key_args(
    command: &str,
    key: &str,
    values: Vec<String>,
    takes_value: bool,
) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    for v in values {
        match (takes_value, v.as_str()) {
            (true, _) => {
                check_value(command, key, &v)?;
                args.extend([format!("--{key}"), v]);
            }
            (false, "true") => args.push(format!("--{key}")),
            (false, "false") => {}
            (false, other) => {
                return Err(format!("{key} is a switch: true or false, not '{other}'"));
            }
        }
    }
    Ok(args)
}

/// Whether `--{key}` (or `--{key}=…`) was typed.
fn typed_long(typed: &[String], key: &str) -> bool {
    typed
        .iter()
        .any(|t| t == &format!("--{key}") || t.starts_with(&format!("--{key}=")))
}

/// The command as clap knows it, with its arguments (and the global ones).
fn subcommand(command: &str) -> clap::Command {
    let mut cli = Cli::command();
    cli.build();
    (cli.find_subcommand(command).cloned()).expect("a command that takes --config")
}

/// Whether a typed option rules out the job file's `key` (a typed
/// `--sandbox` and the file's `url`): what is typed wins, so the file's is
/// left out rather than refused as a conflict the user never typed.
fn conflicts_with_typed(command: &str, key: &str, typed: &[String]) -> bool {
    let sub = subcommand(command);
    let long_of = |a: &clap::Arg| a.get_long().map(str::to_owned);
    // A conflict is declared on either side.
    sub.get_arguments().any(|arg| {
        let conflicts: Vec<String> = (sub.get_arg_conflicts_with(arg).into_iter())
            .filter_map(long_of)
            .collect();
        match arg.get_long() {
            Some(long) if long == key => conflicts.iter().any(|c| typed_long(typed, c)),
            Some(long) if typed_long(typed, long) => conflicts.iter().any(|c| c == key),
            _ => false,
        }
    })
}

/// The job file's value for `key` as clap would read it from the command
/// line: a value it refuses is said with the key and the value.
fn check_value(command: &str, key: &str, value: &str) -> Result<(), String> {
    let sub = subcommand(command).no_binary_name(true);
    match sub.try_get_matches_from([format!("--{key}={value}")]) {
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::InvalidValue | clap::error::ErrorKind::ValueValidation
            ) =>
        {
            let said = e.to_string();
            let first = said.lines().next().unwrap_or_default();
            Err(format!(
                "{key} = {value}: {}",
                first.trim_start_matches("error: ")
            ))
        }
        // Only the value is judged here; the whole command line is, later.
        _ => Ok(()),
    }
}

/// The options a job file gives `command`, as `(key, value)` pairs spelled
/// as on the command line (paths resolved, `${NAME}` read): for saying
/// where a setting came from.
pub(crate) fn given(
    command: &str,
    path: &Path,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Vec<(String, String)>> {
    let args = file_args(command, path, &[], env)?;
    let mut pairs = Vec::new();
    let mut words = args.into_iter().peekable();
    while let Some(word) = words.next() {
        let Some(key) = word.strip_prefix("--") else {
            continue;
        };
        let value = match words.peek() {
            Some(next) if !next.starts_with("--") => words.next().unwrap_or_default(),
            _ => "true".to_owned(),
        };
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

/// A key's values as the command line would spell them.
fn values_of(
    key: &str,
    value: &toml::Value,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Vec<String>, String> {
    match value {
        toml::Value::String(s) => Ok(vec![
            expand_vars(s, env).map_err(|e| format!("{key}: {e}"))?,
        ]),
        toml::Value::Integer(i) => Ok(vec![i.to_string()]),
        toml::Value::Float(f) => Ok(vec![f.to_string()]),
        toml::Value::Boolean(b) => Ok(vec![b.to_string()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                toml::Value::Array(_) | toml::Value::Table(_) => Err(format!(
                    "{key}: an array holds strings, numbers or booleans"
                )),
                other => values_of(key, other, env).map(|mut v| v.remove(0)),
            })
            .collect(),
        other => Err(format!("{key}: unexpected value {other}")),
    }
}

/// `${NAME}` from the environment; `$$` is a `$`.
fn expand_vars(text: &str, env: &impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(inner) = after.strip_prefix('{') {
            let end = inner
                .find('}')
                .ok_or_else(|| format!("'{text}': ${{ without a closing }}"))?;
            let var = &inner[..end];
            let value = env(var)
                .ok_or_else(|| format!("'{text}': the environment variable {var} is not set"))?;
            out.push_str(&value);
            rest = &inner[end + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TEAM").then(|| "crm".to_owned())
    }

    #[test]
    fn variables_are_read_from_the_environment_and_a_double_dollar_is_a_dollar() {
        assert_eq!(
            expand_vars("${TEAM}_* costs $$5", &env).unwrap(),
            "crm_* costs $5"
        );
        let err = expand_vars("${NOPE}", &env).unwrap_err();
        assert!(err.contains("NOPE is not set"), "{err}");
    }

    #[test]
    fn the_files_options_come_before_the_typed_ones_which_replace_them() {
        let dir = tempfile::tempdir().unwrap();
        let job = dir.path().join("nightly.toml");
        std::fs::write(
            &job,
            "input = \"in/sources.csv\"\nif-exists = \"update\"\nbatch-size = 50\n\
             map = [\"Owner mail=owners\", \"Tag=tags\"]\nquiet = true\nreport = \"${TEAM}.csv\"\n",
        )
        .unwrap();
        let typed: Vec<OsString> = ["dg-import", "run", "--config", job.to_str().unwrap()]
            .iter()
            .chain(&["--map", "Mail=owners"])
            .map(OsString::from)
            .collect();
        let args: Vec<String> = expand(typed, env)
            .unwrap()
            .into_iter()
            .map(|a| a.into_string().unwrap())
            .collect();
        let base = dir.path().display();
        assert!(args.contains(&format!("{base}/in/sources.csv")), "{args:?}");
        assert!(args.contains(&format!("{base}/crm.csv")), "{args:?}");
        assert!(args.windows(2).any(|w| w == ["--batch-size", "50"]));
        assert!(args.contains(&"--quiet".to_owned()));
        assert_eq!(args.iter().filter(|a| *a == "--map").count(), 1, "{args:?}");
        let cli = <Cli as clap::Parser>::try_parse_from(&args);
        assert!(cli.is_ok(), "{:?}", cli.err());
    }

    #[test]
    fn a_value_clap_refuses_names_the_job_file_and_a_typed_flag_drops_what_it_rules_out() {
        let dir = tempfile::tempdir().unwrap();
        let job = dir.path().join("job.toml");
        std::fs::write(&job, "rate = 2.5\n").unwrap();
        let args = ["dg-import", "check", "--config", job.to_str().unwrap()].map(OsString::from);
        let err = expand(args.to_vec(), env).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!(
                "--config {}: rate = 2.5: invalid value",
                job.display()
            )),
            "{err}"
        );
        std::fs::write(
            &job,
            "url = \"https://acme.example.com/v2\"\nquiet = true\n",
        )
        .unwrap();
        let mut typed = args.to_vec();
        typed.push("--sandbox".into());
        let expanded = expand(typed, env).unwrap();
        assert!(!expanded.iter().any(|a| a == "--url"), "{expanded:?}");
        assert!(expanded.iter().any(|a| a == "--quiet"), "{expanded:?}");
        let cli = <Cli as clap::Parser>::try_parse_from(&expanded);
        assert!(cli.is_ok(), "{:?}", cli.err());
    }

    #[test]
    fn a_token_or_an_unknown_key_is_refused_before_anything_runs() {
        let dir = tempfile::tempdir().unwrap();
        let job = dir.path().join("job.toml");
        let run = |text: &str| {
            std::fs::write(&job, text).unwrap();
            let args = ["dg-import", "check", "--config", job.to_str().unwrap()]
                .map(OsString::from)
                .to_vec();
            expand(args, env).unwrap_err().to_string()
        };
        let token = run("token = \"s3cr3t\"\n");
        assert!(token.contains("token-file"), "{token}");
        assert!(!token.contains("s3cr3t"));
        let typo = run("if-exist = \"update\"\n");
        assert!(typo.contains("did you mean if-exists?"), "{typo}");
    }
}
