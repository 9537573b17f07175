//! The API's base URL, decided once for every command: `https` (plain
//! `http` only to this machine), no user name or password before the host,
//! no query; and the `/v2` it ends in when a URL lacks it.

use crate::exit::usage;

/// Whether `url` names this machine: the only host plain `http` may go to.
pub(crate) fn is_loopback(url: &reqwest::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A URL with a user name or password before its host (`user:pw@`): why
/// it is refused (they would be sent beside the token), never showing them.
pub(crate) fn refuse_credentials(url: &reqwest::Url) -> Result<(), String> {
    if url.username().is_empty() && url.password().is_none() {
        return Ok(());
    }
    let mut bare = url.clone();
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    Err(format!(
        "the URL carries a user name or password before its host (user:…@{}): the \
         API takes only the token, and they would be sent to it; use {bare}",
        bare.host_str().unwrap_or_default()
    ))
}

/// The base URL of the API for `url`: its path ends in `/v2` (a last
/// segment naming another version, `/v1`, is replaced), without a query.
pub(crate) fn with_v2(mut url: reqwest::Url) -> reqwest::Url {
    let path = url.path().trim_end_matches('/').to_owned();
    let (rest, last) = path.rsplit_once('/').unwrap_or(("", &path));
    let is_version = last.len() > 1
        && last.starts_with(['v', 'V'])
        && last[1..].chars().all(|c| c.is_ascii_digit());
    match (last, is_version) {
        ("v2", _) => {}
        (_, true) => url.set_path(&format!("{rest}/v2")),
        _ => url.set_path(&format!("{path}/v2")),
    }
    url.set_query(None);
    url
}

/// A base URL the token may be sent to: https, or http on loopback only.
pub(crate) fn parse_base_url(text: &str) -> anyhow::Result<reqwest::Url> {
    let mut url = reqwest::Url::parse(text.trim())
        .map_err(|e| usage(format!("--url {text:?} is not a URL: {e}")))?;
    refuse_credentials(&url).map_err(|why| usage(format!("--url: {why}")))?;
    let loopback = is_loopback(&url);
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(usage(format!(
                "--url {text}: refusing to send the token over plain http to a host that is not loopback; use https"
            )));
        }
        other => return Err(usage(format!("--url {text}: unsupported scheme {other:?}"))),
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(usage(format!(
            "--url {text}: a base URL has no query or fragment"
        )));
    }
    let trimmed = url.path().trim_end_matches('/').to_owned();
    url.set_path(&trimmed);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_refused_unless_the_host_is_loopback() {
        assert!(parse_base_url("https://acme.api.datagalaxy.com/v2").is_ok());
        assert!(parse_base_url("http://127.0.0.1:8080/v2/").is_ok());
        assert!(parse_base_url("http://localhost:8080/v2").is_ok());
        assert!(parse_base_url("http://[::1]:8080/v2").is_ok());
        let err = parse_base_url("http://acme.api.datagalaxy.com/v2").unwrap_err();
        assert!(err.to_string().contains("plain http"), "{err}");
        assert_eq!(crate::exit::code_of(&Err(err)), crate::exit::USAGE);
    }

    #[test]
    fn a_url_with_credentials_is_refused_without_showing_them() {
        let err = parse_base_url("https://ann:s3cr3t@acme.api.datagalaxy.com/v2").unwrap_err();
        let said = err.to_string();
        assert!(said.contains("user name or password"), "{said}");
        assert!(
            said.contains("use https://acme.api.datagalaxy.com/v2"),
            "{said}"
        );
        assert!(!said.contains("ann") && !said.contains("s3cr3t"), "{said}");
    }

    #[test]
    fn the_v2_base_replaces_another_version_and_is_added_to_a_bare_host() {
        for (given, fixed) in [
            ("https://a.io/v1", "https://a.io/v2"),
            ("https://a.io/api/V3/", "https://a.io/api/v2"),
            ("https://a.io", "https://a.io/v2"),
            ("https://a.io/vault", "https://a.io/vault/v2"),
            ("https://a.io/v2?x=1", "https://a.io/v2"),
        ] {
            let url = reqwest::Url::parse(given).unwrap();
            assert_eq!(with_v2(url).as_str(), fixed, "{given}");
        }
    }

    #[test]
    fn a_trailing_slash_is_dropped_from_the_base_url() {
        let url = parse_base_url("https://acme.api.datagalaxy.com/v2/").unwrap();
        assert_eq!(url.as_str(), "https://acme.api.datagalaxy.com/v2");
    }
}
