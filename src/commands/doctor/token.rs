//! What a token says of itself, without verifying it: a JWT's claims (an
//! older personal access token is the base64 of one). Only `exp` and the
//! API URL in `pubapi` are read; the token itself is never printed.

use base64::Engine;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use serde_json::Value;

/// The claims doctor reads.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Claims {
    /// Expiry, in seconds since the epoch.
    pub(crate) exp: Option<i64>,
    /// The API URL the token was issued for.
    pub(crate) pubapi: Option<String>,
}

/// Padding or not, as tokens come.
const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, LENIENT);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::STANDARD, LENIENT);

/// The claims of a JWT, or of the JWT a token is the base64 of; `None`
/// when the token is neither.
pub(crate) fn claims(token: &str) -> Option<Claims> {
    jwt_claims(token).or_else(|| {
        let inner = STANDARD.decode(token.trim()).ok()?;
        jwt_claims(std::str::from_utf8(&inner).ok()?)
    })
}

fn jwt_claims(token: &str) -> Option<Claims> {
    let mut parts = token.trim().split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE
        .decode(payload)
        .or_else(|_| general_purpose::STANDARD.decode(payload))
        .ok()?;
    let Value::Object(claims) = serde_json::from_slice(&bytes).ok()? else {
        return None;
    };
    Some(Claims {
        exp: claims.get("exp").and_then(Value::as_i64),
        pubapi: claims
            .get("pubapi")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b64 = |s: &str| general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.{}",
            b64(r#"{"alg":"HS256"}"#),
            b64(payload),
            b64("sig")
        )
    }

    #[test]
    fn a_jwt_tells_its_expiry_and_its_api() {
        let token = jwt(r#"{"exp":1800000000,"pubapi":"https://acme.api.datagalaxy.com/v2"}"#);
        assert_eq!(
            claims(&token),
            Some(Claims {
                exp: Some(1_800_000_000),
                pubapi: Some("https://acme.api.datagalaxy.com/v2".into())
            })
        );
    }

    #[test]
    fn an_older_token_is_the_base64_of_a_jwt() {
        let inner = jwt(r#"{"exp":1700000000}"#);
        let token = general_purpose::STANDARD.encode(inner);
        assert_eq!(claims(&token).unwrap().exp, Some(1_700_000_000));
    }

    #[test]
    fn a_token_that_is_no_jwt_has_no_claims() {
        assert_eq!(claims("sandbox-token"), None);
        assert_eq!(claims("a.b.c"), None);
        assert_eq!(claims(""), None);
    }
}
