//! What the program says on stderr outside its log lines (the summary, an
//! error that ends it, a stop being honoured): plain text for a person, or,
//! under `--log-format json`, one JSON object a line in the shape of the log
//! lines, so that the whole stream parses as JSON.

use std::sync::atomic::{AtomicBool, Ordering};

static JSON: AtomicBool = AtomicBool::new(false);

/// Whether stderr carries JSON lines (`--log-format json`).
pub fn set_json(json: bool) {
    JSON.store(json, Ordering::Relaxed);
}

/// Says `text` at `level` (`INFO`, `WARN`, `ERROR`); in JSON, `fields`
/// (an object) travels beside the message.
pub(crate) fn say(level: &str, text: &str, fields: Option<serde_json::Value>) {
    // Through eprintln!, which a test run captures.
    match JSON.load(Ordering::Relaxed) {
        false => eprintln!("{text}"),
        true => eprintln!("{}", line(level, text, fields)),
    }
}

/// The error that ended the command, as `error: …`.
pub fn error(e: &anyhow::Error) {
    say("ERROR", &format!("error: {e:#}"), None);
}

fn line(level: &str, text: &str, fields: Option<serde_json::Value>) -> serde_json::Value {
    let mut all = serde_json::json!({ "message": text });
    if let (Some(serde_json::Value::Object(extra)), Some(object)) = (fields, all.as_object_mut()) {
        object.extend(extra);
    }
    serde_json::json!({
        "timestamp": humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string(),
        "level": level,
        "fields": all,
        "target": "dg_import",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_line_carries_the_message_and_its_fields() {
        let said = line(
            "INFO",
            "3 rows: 3 created",
            Some(serde_json::json!({"summary": {"rows": 3}})),
        );
        assert_eq!(said["level"], "INFO");
        assert_eq!(said["fields"]["message"], "3 rows: 3 created");
        assert_eq!(said["fields"]["summary"]["rows"], 3);
        assert!(said["timestamp"].as_str().unwrap().ends_with('Z'));
    }
}
