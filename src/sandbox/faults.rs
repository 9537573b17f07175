//! The sandbox's injected faults, as a function of a seed and of the request
//! itself (its method, path, the technical names in its body, and which
//! attempt at that request it is), never of one shared random stream: the
//! same seed fails the same requests however the client's concurrency
//! orders them, so a failing test names the seed that replays it.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::http::Method;
use serde_json::Value;

/// What befalls one request, drawn when it arrives.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Draw {
    /// Compared with the fail rate: below it, the request fails...
    pub(crate) fail: f64,
    /// ...dropped unanswered when true, else answered 503.
    pub(crate) drop: bool,
    /// Compared with the drop-after-commit rate.
    pub(crate) after_commit: f64,
}

impl Draw {
    /// No fault at any rate below 1.
    pub(crate) const NONE: Draw = Draw {
        fail: 1.0,
        drop: false,
        after_commit: 1.0,
    };
}

pub(crate) struct Faults {
    seed: u64,
    /// Arrivals of each request so far (by its key).
    attempts: Mutex<HashMap<u64, u32>>,
}

impl Faults {
    pub(crate) fn new(seed: u64) -> Faults {
        Faults {
            seed,
            attempts: Mutex::default(),
        }
    }

    /// What befalls this arrival of the request.
    pub(crate) fn draw(&self, method: &Method, path: &str, body: &[u8]) -> Draw {
        let key = hash(FNV_OFFSET, &[method.as_str().as_bytes(), path.as_bytes()]);
        let key = technical_names(body)
            .iter()
            .fold(key, |k, name| hash(k, &[name.as_bytes()]));
        let attempt = {
            let mut attempts = self.attempts.lock().expect("attempts lock");
            let n = attempts.entry(key).or_default();
            *n += 1;
            *n
        };
        let unit = |what: u64| {
            let bits = mix(self.seed ^ mix(key ^ mix(u64::from(attempt) ^ what)));
            (bits >> 11) as f64 / (1u64 << 53) as f64
        };
        Draw {
            fail: unit(1),
            drop: unit(2) < 0.5,
            after_commit: unit(3),
        }
    }
}

/// The technical names a body carries: one source, or a bulk array of them
/// (a source without one is known by its name, as the API does).
fn technical_names(body: &[u8]) -> Vec<String> {
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Vec::new();
    };
    let name = |v: &Value| {
        (v.get("technicalName").or_else(|| v.get("name")))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match &value {
        Value::Array(items) => items.iter().filter_map(name).collect(),
        other => name(other).into_iter().collect(),
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a over the parts, each ended by a 0 byte: stable across builds and
/// platforms, unlike the standard library's hasher.
fn hash(mut h: u64, parts: &[&[u8]]) -> u64 {
    for part in parts {
        for &b in part.iter().chain(&[0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// splitmix64's finalizer: every input bit moves every output bit.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fates(seed: u64, order: &[usize]) -> Vec<(usize, Draw)> {
        let faults = Faults::new(seed);
        let bodies: Vec<String> = (0..20)
            .map(|i| format!(r#"{{"name":"S{i}","technicalName":"s{i}"}}"#))
            .collect();
        let mut seen: Vec<(usize, Draw)> = order
            .iter()
            .map(|&i| {
                let draw = faults.draw(&Method::POST, "/v2/sources/v1", bodies[i].as_bytes());
                (i, draw)
            })
            .collect();
        seen.sort_by_key(|(i, _)| *i);
        seen
    }

    #[test]
    fn one_seed_fails_the_same_requests_in_whatever_order_they_arrive() {
        let forward: Vec<usize> = (0..20).collect();
        let backward: Vec<usize> = (0..20).rev().collect();
        assert_eq!(fates(7, &forward), fates(7, &backward));
        assert_ne!(
            fates(7, &forward),
            fates(8, &forward),
            "another seed, other faults"
        );
    }

    #[test]
    fn a_retry_of_a_request_draws_again() {
        let faults = Faults::new(1);
        let body = br#"{"technicalName":"s1"}"#;
        let draws: Vec<Draw> = (0..5)
            .map(|_| faults.draw(&Method::POST, "/v2/sources/v1", body))
            .collect();
        assert!(draws.windows(2).all(|w| w[0] != w[1]), "{draws:?}");
        let again = Faults::new(1);
        assert_eq!(again.draw(&Method::POST, "/v2/sources/v1", body), draws[0]);
    }

    #[test]
    fn the_draws_spread_evenly_enough_to_be_rates() {
        let faults = Faults::new(42);
        let n = 10_000;
        let failing = (0..n)
            .filter(|i| {
                let path = format!("/v2/sources?technicalName=t{i}");
                faults.draw(&Method::GET, &path, b"").fail < 0.25
            })
            .count();
        assert!((2_200..2_800).contains(&failing), "{failing} of {n}");
    }

    #[test]
    fn a_bulk_body_is_known_by_all_its_technical_names() {
        let names = technical_names(br#"[{"technicalName":"a"},{"name":"B"},{"x":1}]"#);
        assert_eq!(names, ["a", "B"]);
        assert!(technical_names(b"not json").is_empty());
    }
}
