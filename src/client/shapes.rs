//! What the tenant's answers look like, read from their raw JSON: the
//! variations the contract names, each told apart by one pure function.

use serde_json::Value;

/// A way an answer can look: an enum whose words are what doctor prints
/// and what its JSON says.
macro_rules! shape {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum $name { $($variant),+ }

        impl $name {
            pub(crate) fn word(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.word())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.word())
            }
        }
    };
}

shape!(
    /// The shape of an error body.
    ErrorBody {
        ErrorObject => "error-object",
        ErrorString => "error-string",
        Message => "message",
        Html => "html",
        Empty => "empty",
        Text => "text",
    }
);

shape!(
    /// How a listing's envelope pages.
    Paging { NextPage => "next_page", Pages => "pages" }
);

shape!(
    /// The field that carries a tag's text.
    TagsField { Name => "name", Label => "label" }
);

shape!(
    /// How owners and stewards are listed.
    People { Emails => "emails", Objects => "objects" }
);

shape!(
    /// How the listing's `technicalName` filter matches.
    NameFilter { Exact => "exact", Partial => "partial" }
);

/// The shape of an error body: `{"error": {"message"}}` is `error-object`,
/// `{"error": "text"}` `error-string`, `{"message"}` `message`, HTML (by
/// its content type, or a body starting with `<`) `html`, nothing `empty`,
/// anything else `text`.
pub(crate) fn error_body(content_type: Option<&str>, body: &[u8]) -> ErrorBody {
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    if text.is_empty() {
        return ErrorBody::Empty;
    }
    if content_type.is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
        || text.starts_with('<')
    {
        return ErrorBody::Html;
    }
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return ErrorBody::Text;
    };
    match fields.get("error") {
        Some(Value::Object(error)) if error.contains_key("message") => ErrorBody::ErrorObject,
        Some(Value::String(_)) => ErrorBody::ErrorString,
        _ if fields.contains_key("message") => ErrorBody::Message,
        _ => ErrorBody::Text,
    }
}

/// How a listing's envelope pages: by `next_page` when the key is there
/// (even `null`, on the last page), else by `pages`.
pub(crate) fn paging(envelope: &Value) -> Option<Paging> {
    let fields = envelope.as_object()?;
    if fields.contains_key("next_page") {
        Some(Paging::NextPage)
    } else if fields.contains_key("pages") {
        Some(Paging::Pages)
    } else {
        None
    }
}

/// The items of a listing's envelope (or of a bare array).
pub(crate) fn items(listing: &Value) -> &[Value] {
    let items = match listing {
        Value::Array(items) => Some(items),
        other => other.get("results").and_then(Value::as_array),
    };
    items.map_or(&[], Vec::as_slice)
}

/// The field that carries a tag's text, from the first tag that has one.
pub(crate) fn tags_field(tags: &[Value]) -> Option<TagsField> {
    tags.iter().find_map(|tag| {
        let text = |key| tag.get(key).and_then(Value::as_str).is_some();
        if text("name") {
            Some(TagsField::Name)
        } else if text("label") {
            Some(TagsField::Label)
        } else {
            None
        }
    })
}

/// Whether listed sources carry their `attributes`.
pub(crate) fn carry_attributes(sources: &[Value]) -> Option<bool> {
    let first = sources.first()?;
    Some(first.get("attributes").is_some_and(Value::is_object))
}

/// How owners and stewards are listed, `emails` or user `objects`, from the
/// first source whose owners or stewards are not empty.
pub(crate) fn people_listed_as(sources: &[Value]) -> Option<People> {
    sources.iter().find_map(|source| {
        let attributes = source.get("attributes")?;
        ["owners", "stewards"].iter().find_map(|key| {
            let first = attributes.get(*key)?.as_array()?.first()?;
            match first {
                Value::String(_) => Some(People::Emails),
                Value::Object(_) => Some(People::Objects),
                _ => None,
            }
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_error_body_has_its_name() {
        let shape = |ct: Option<&str>, body: &str| error_body(ct, body.as_bytes()).word();
        let json = Some("application/json");
        assert_eq!(
            shape(json, r#"{"error":{"message":"no","status":404}}"#),
            "error-object"
        );
        assert_eq!(
            shape(json, r#"{"error":"no such workspace"}"#),
            "error-string"
        );
        assert_eq!(shape(json, r#"{"message":"Not Found"}"#), "message");
        assert_eq!(shape(Some("text/html; charset=utf-8"), "Not found"), "html");
        assert_eq!(shape(None, "  <html><body>502</body></html>"), "html");
        assert_eq!(shape(json, "  \n"), "empty");
        assert_eq!(shape(Some("text/plain"), "Not Found"), "text");
        assert_eq!(shape(json, r#"{"detail":"x"}"#), "text");
    }

    #[test]
    fn an_envelope_pages_by_next_page_when_the_key_is_there_even_null() {
        assert_eq!(
            paging(&json!({"pages": 1, "next_page": null})),
            Some(Paging::NextPage)
        );
        assert_eq!(
            paging(&json!({"pages": 3, "results": []})),
            Some(Paging::Pages)
        );
        assert_eq!(Paging::NextPage.to_string(), "next_page");
        assert_eq!(paging(&json!([])), None);
    }

    #[test]
    fn tags_people_and_attributes_are_read_from_the_first_item_that_tells() {
        assert_eq!(
            tags_field(&[json!({"label": "PII"})]),
            Some(TagsField::Label)
        );
        assert_eq!(
            tags_field(&[json!({"id": 1}), json!({"name": "PII"})]),
            Some(TagsField::Name)
        );
        assert_eq!(tags_field(&[]), None);
        let bare = json!({"id": "1", "name": "a"});
        let with = |owners: Value| json!({"id": "2", "attributes": {"owners": owners}});
        assert_eq!(carry_attributes(std::slice::from_ref(&bare)), Some(false));
        assert_eq!(carry_attributes(&[with(json!([]))]), Some(true));
        let sources = [with(json!([])), with(json!([{"email": "a@x"}]))];
        assert_eq!(people_listed_as(&sources), Some(People::Objects));
        assert_eq!(
            people_listed_as(&[with(json!(["a@x"]))]),
            Some(People::Emails)
        );
        assert_eq!(serde_json::to_value(People::Objects).unwrap(), "objects");
        assert_eq!(people_listed_as(&[bare]), None);
    }
}
