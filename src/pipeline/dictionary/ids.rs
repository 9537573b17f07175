//! The ids a listing gave a tree's nodes, by place, kept compact for a
//! million of them: one array of bytes, a span each. Ids are opaque (the
//! contract: never parse them), so nothing is read into them; but an id
//! that is written as a UUID is (lower-case, hyphens where a UUID has
//! them), or a few of them joined by `:`, is held as their sixteen bytes
//! each rather than their 36 characters (the `uuid` crate reads and writes
//! them), and given back character for character. Any other id is held as
//! its text.

/// Where an id lies, and how it is held.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    /// The text's length; with `PACKED`, the number of UUIDs.
    len: u32,
}

const PACKED: u32 = 1 << 31;

/// The ids of a tree's nodes.
#[derive(Debug, Default)]
pub(crate) struct Ids {
    spans: Vec<Span>,
    bytes: Vec<u8>,
}

impl Ids {
    pub(crate) fn set(&mut self, at: u32, id: &str) {
        let at = at as usize;
        if self.spans.len() <= at {
            self.spans.resize(at + 1, Span::default());
        }
        let start = u32::try_from(self.bytes.len()).expect("ids under 2 GB");
        let parts: Option<Vec<[u8; 16]>> = id.split(':').map(packed).collect();
        let len = match parts {
            Some(parts) if parts.len() < 16 => {
                parts.iter().for_each(|p| self.bytes.extend_from_slice(p));
                PACKED | parts.len() as u32
            }
            _ => {
                self.bytes.extend_from_slice(id.as_bytes());
                u32::try_from(id.len())
                    .ok()
                    .filter(|l| l & PACKED == 0)
                    .expect("an id under 2 GB")
            }
        };
        self.spans[at] = Span { start, len };
    }

    pub(crate) fn get(&self, at: u32) -> Option<String> {
        let span = *self.spans.get(at as usize)?;
        let start = span.start as usize;
        if span.len & PACKED == 0 {
            let text = &self.bytes[start..start + span.len as usize];
            return (!text.is_empty()).then(|| String::from_utf8_lossy(text).into_owned());
        }
        let parts = (span.len & !PACKED) as usize;
        let mut id = String::with_capacity(parts * 37);
        for (i, part) in self.bytes[start..start + 16 * parts].chunks(16).enumerate() {
            if i > 0 {
                id.push(':');
            }
            written(part, &mut id);
        }
        Some(id)
    }
}

/// The sixteen bytes of a UUID, if `text` is one written as `written`
/// writes it back (lower-case, hyphenated): nothing else is packed.
fn packed(text: &str) -> Option<[u8; 16]> {
    let uuid = uuid::Uuid::try_parse(text).ok()?;
    let mut again = [0u8; uuid::fmt::Hyphenated::LENGTH];
    (uuid.hyphenated().encode_lower(&mut again).as_bytes() == text.as_bytes())
        .then(|| *uuid.as_bytes())
}

fn written(bytes: &[u8], out: &mut String) {
    let uuid = uuid::Uuid::from_slice(bytes).expect("sixteen bytes");
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    out.push_str(uuid.hyphenated().encode_lower(&mut text));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_given_back_as_the_tenant_wrote_it() {
        let ids = [
            "ee6910af-b719-4212-960e-9056764104a1",
            "ee6910af-b719-4212-960e-9056764104a1:b736832d-0b72-46e9-b77b-11987b044fa0",
            "EE6910AF-B719-4212-960E-9056764104A1",
            "ee6910afb7194212960e9056764104a1",
            "ee6910af-b719-4212-960e-9056764104a1:7",
            "ds-42",
            "ee6910af-b719-4212-960e-9056764104a-",
            "é",
        ];
        let mut held = Ids::default();
        for (at, id) in ids.iter().enumerate() {
            held.set(at as u32 * 2, id);
        }
        for (at, id) in ids.iter().enumerate() {
            assert_eq!(held.get(at as u32 * 2).as_deref(), Some(*id));
            assert_eq!(held.get(at as u32 * 2 + 1), None, "no id given");
        }
        assert_eq!(held.get(1000), None);
        assert_eq!(
            held.bytes.len(),
            16 + 32 + 36 + 32 + 38 + 5 + 36 + 2,
            "UUIDs as their bytes, the rest as written"
        );
    }
}
