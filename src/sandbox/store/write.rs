//! Writes to the store: one source (create, upsert, edit), a batch (bulk
//! create, bulk edit), a tag; each checked first (`check.rs`).

use serde_json::Value;

use super::*;

#[derive(Debug, PartialEq)]
pub(crate) enum Written {
    Created(StoredSource),
    Updated(StoredSource),
    /// An edit that changed nothing.
    Unchanged(StoredSource),
}

impl Store {
    /// `POST /sources/{versionId}`: create, or update with `upsert`.
    pub(crate) fn upsert_source(
        &mut self,
        version_id: &str,
        body: &Value,
    ) -> Result<Written, Refusal> {
        self.upsert(version_id, body, Mandatory::Checked)
    }

    pub(super) fn upsert(
        &mut self,
        version_id: &str,
        body: &Value,
        mandatory: Mandatory,
    ) -> Result<Written, Refusal> {
        let checked = self.check_source(version_id, body)?;
        let new = checked.source;
        let at = self.position(version_id, &new.technical_name);
        match at.map(|at| &mut self.sources[at]) {
            Some(existing) if checked.upsert => {
                // Fields left out stay unchanged.
                let has = |k: &str| checked.present.iter().any(|p| p == k);
                existing.name = new.name;
                existing.source_type = new.source_type;
                if has("status") {
                    existing.status = new.status;
                }
                if has("owners") {
                    existing.owners = new.owners;
                }
                if has("stewards") {
                    existing.stewards = new.stewards;
                }
                if has("tags") {
                    existing.tags = new.tags;
                }
                if has("summary") {
                    existing.summary = new.summary;
                }
                if has("description") {
                    existing.description = new.description;
                }
                existing.attributes.extend(new.attributes);
                Ok(Written::Updated(existing.clone()))
            }
            Some(existing) => Err(refuse(format!(
                "a source with technical name '{}' already exists (id {})",
                existing.technical_name, existing.id
            ))),
            None => {
                if mandatory == Mandatory::Checked {
                    self.check_mandatory(&new)?;
                }
                let source = StoredSource {
                    id: new_id(),
                    ..new
                };
                self.sources.push(source.clone());
                Ok(Written::Created(source))
            }
        }
    }

    /// `PUT /sources/{versionId}/{sourceId}`: the fields given change, the
    /// others stay; `""` or `[]` empties a field. `None`: no such source.
    pub(crate) fn edit_source(
        &mut self,
        version_id: &str,
        source_id: &str,
        body: &Value,
    ) -> Option<Result<Written, Refusal>> {
        let at = (self.indexed().sources).source_by_id(&self.sources, version_id, source_id)?;
        Some(self.edit_at(at, body))
    }

    /// Checks an edit of the source at `at` and applies it; `Written::Updated`
    /// when it changed something, `Created` is never answered.
    fn edit_at(&mut self, at: usize, body: &Value) -> Result<Written, Refusal> {
        let edited = self.edited(&self.sources[at], body)?;
        if edited == self.sources[at] {
            return Ok(Written::Unchanged(edited));
        }
        self.sources[at] = edited.clone();
        Ok(Written::Updated(edited))
    }

    /// What `source` becomes with `body` applied, checked as a whole.
    fn edited(&self, source: &StoredSource, body: &Value) -> Result<StoredSource, Refusal> {
        let Some(changes) = body.as_object() else {
            return Err(refuse("the body must be a JSON object"));
        };
        if changes.contains_key("upsert") {
            return Err(refuse("upsert: not allowed in an edit"));
        }
        let mut merged = source.as_body();
        for (key, value) in changes {
            match value {
                // An empty text empties the field (name and type stay required).
                Value::String(t) if t.is_empty() && key != "name" && key != "type" => {
                    merged.remove(key);
                }
                _ => {
                    merged.insert(key.clone(), value.clone());
                }
            }
        }
        if merged.get("technicalName") != Some(&Value::String(source.technical_name.clone())) {
            return Err(refuse("technicalName: cannot be changed by an edit"));
        }
        let mut checked = self.check_source(&source.version_id, &Value::Object(merged))?;
        checked.source.id = source.id.clone();
        Ok(checked.source)
    }

    /// `PUT /sources/bulk/{versionId}`: edits keyed by technical name, all or
    /// nothing. Returns (updated, unchanged).
    pub(crate) fn edit_bulk(
        &mut self,
        version_id: &str,
        items: &[Value],
    ) -> Result<(usize, usize), Refusal> {
        if items.is_empty() || items.len() > 100 {
            return Err(refuse(format!(
                "a bulk request takes 1 to 100 sources, got {}",
                items.len()
            )));
        }
        let mut edits = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            let Some(tn) = item.get("technicalName").and_then(Value::as_str) else {
                return Err(refuse(format!("item {n}: technicalName: required")));
            };
            let at = (self.position(version_id, tn))
                .ok_or_else(|| refuse(format!("item {n}: no source with technical name '{tn}'")))?;
            let edited = self
                .edited(&self.sources[at], item)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            edits.push((at, edited));
        }
        let mut updated = 0;
        for (at, edited) in edits {
            if self.sources[at] != edited {
                self.sources[at] = edited;
                updated += 1;
            }
        }
        Ok((updated, items.len() - updated))
    }

    /// `POST /sources/bulk/{versionId}`: all or nothing. An item whose
    /// technical name exists is refused (the contract leaves that case open,
    /// and the client must never depend on it).
    pub(crate) fn create_bulk(
        &mut self,
        version_id: &str,
        items: &[Value],
    ) -> Result<usize, Refusal> {
        if items.is_empty() || items.len() > 100 {
            return Err(refuse(format!(
                "a bulk request takes 1 to 100 sources, got {}",
                items.len()
            )));
        }
        let mut fresh: Vec<StoredSource> = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            let n = i + 1;
            let checked = self
                .check_source(version_id, item)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            self.check_mandatory(&checked.source)
                .map_err(|r| refuse(format!("item {n}: {}", r.message)))?;
            let tn = &checked.source.technical_name;
            if self.find_source(version_id, tn).is_some()
                || fresh.iter().any(|f| &f.technical_name == tn)
            {
                return Err(refuse(format!(
                    "item {n}: a source with technical name '{tn}' already exists"
                )));
            }
            fresh.push(StoredSource {
                id: new_id(),
                ..checked.source
            });
        }
        let created = fresh.len();
        self.sources.extend(fresh);
        Ok(created)
    }

    /// `POST /tags`.
    pub(crate) fn create_tag(&mut self, body: &Value) -> Result<Tag, Refusal> {
        let label = body
            .get("label")
            .and_then(Value::as_str)
            .filter(|l| !l.trim().is_empty())
            .ok_or_else(|| refuse("label: required"))?;
        if self.tag_exists(label) {
            return Err(refuse(format!("tag '{label}' already exists")));
        }
        let tag = Tag {
            label: label.to_owned(),
            description: body
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            color: None,
            is_active: true,
        };
        self.tags.push(tag.clone());
        Ok(tag)
    }
}
