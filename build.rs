//! Names the build in `dg-import --version`: the commit it was built from,
//! that commit's date, and the target ("unknown" outside a git checkout).
//! Reruns when `.git/HEAD` or the branch it points at moves.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let target = std::env::var("TARGET").unwrap_or_else(|_| "unknown".into());
    let build = match (
        git(&["rev-parse", "--short=7", "HEAD"]),
        git(&["log", "-1", "--format=%cs"]),
    ) {
        (Some(commit), Some(date)) => format!("{commit} {date}"),
        _ => "unknown".to_owned(),
    };
    println!("cargo:rustc-env=DG_IMPORT_BUILD={build}, {target}");
    let head = Path::new(".git/HEAD");
    if head.exists() {
        println!("cargo:rerun-if-changed=.git/HEAD");
        let pointed = std::fs::read_to_string(head).unwrap_or_default();
        if let Some(branch) = pointed.trim().strip_prefix("ref: ") {
            println!("cargo:rerun-if-changed=.git/{branch}");
        }
        println!("cargo:rerun-if-changed=.git/packed-refs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
