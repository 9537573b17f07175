//! The way to the tenant: the settings and where each came from, what the
//! token says of itself, the URL (scheme, `/v2`, its host name, the proxy),
//! then the first request: the TLS handshake and the token accepted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Url;

use super::token::claims;
use super::verdict::Check;
use crate::cli::doctor::{Connection, DoctorConfig};
use crate::client::api::{Answer, ApiError, Token};
use crate::client::session::{Endpoint, Session};
use crate::client::shapes;
use crate::exit::Stop;

/// A token this close to its expiry is worth a warning.
const EXPIRES_SOON: Duration = Duration::from_secs(7 * 24 * 3600);

/// 1: the program, and where each connection setting came from.
pub(super) fn settings(config: &DoctorConfig) -> Check {
    let from: Vec<String> = (config.origins.iter())
        .map(|(setting, origin)| format!("{setting} from {origin}"))
        .collect();
    let from = match from.is_empty() {
        true => "no connection setting given".to_owned(),
        false => from.join(", "),
    };
    Check::pass(
        "settings",
        format!("dg-import {}; {from}", crate::cli::VERSION),
    )
}

/// 2: the token is there, and what its claims say (never the token).
pub(super) fn token(config: &DoctorConfig) -> Check {
    const NAME: &str = "token";
    let (url, token) = match &config.connection {
        Connection::Sandbox { .. } => return Check::pass(NAME, "the in-process sandbox's own"),
        Connection::Api { url, token, .. } => (url, token),
    };
    let token = match token {
        Ok(token) => token,
        Err(why) => {
            let fix = match why.starts_with("no token") {
                true => {
                    "set DATAGALAXY_TOKEN, or pass --token-file FILE (a file holding only the token)"
                }
                false => "copy the token again from DataGalaxy, alone on one line",
            };
            return Check::fail(NAME, why.clone(), fix);
        }
    };
    let Some(claims) = claims(token.expose()) else {
        return Check::pass(NAME, "present (not a JWT: its expiry cannot be read here)");
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let now = now.as_secs() as i64;
    let renew = "issue a new token in DataGalaxy and set it in DATAGALAXY_TOKEN or --token-file";
    if let Some(exp) = claims.exp {
        let when = day(exp);
        if exp <= now {
            return Check::fail(NAME, format!("expired on {when}"), renew);
        }
        if exp - now < EXPIRES_SOON.as_secs() as i64 {
            let days = (exp - now) / 86_400;
            return Check::warn(NAME, format!("expires on {when}, in {days} days"), renew);
        }
    }
    let issued_for = claims.pubapi.as_deref().and_then(|p| Url::parse(p).ok());
    let given = url.as_deref().and_then(|u| Url::parse(u.trim()).ok());
    if let (Some(issued_for), Some(given)) = (issued_for, given)
        && issued_for.origin() != given.origin()
    {
        let api = crate::client::base_url::with_v2(issued_for);
        return Check::warn(
            NAME,
            format!("issued for {api}, but the URL is {given}"),
            format!("set DATAGALAXY_URL={api} (or --url)"),
        );
    }
    let until = claims.exp.map(|e| format!(", valid until {}", day(e)));
    Check::pass(
        NAME,
        format!("present (a JWT{})", until.unwrap_or_default()),
    )
}

/// `YYYY-MM-DD` of a time in seconds since the epoch.
fn day(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .map_or_else(|| secs.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// What check 3 found before the first request: said once that request
/// tells whether the TLS handshake went through.
pub(super) struct UrlSeen {
    said: String,
    /// The path did not end in `/v2`: the corrected URL was used.
    corrected: Option<Url>,
    /// The first request tells of a TLS handshake.
    https: bool,
}

/// 3, up to the first request: the URL is usable, its host resolves (not
/// checked through a proxy, which resolves it); the session opened on it.
/// `Err`: the failed check.
pub(super) async fn session(
    config: &DoctorConfig,
) -> anyhow::Result<Result<(Session, UrlSeen), Check>> {
    const NAME: &str = "url";
    let (url, token, ca_cert) = match &config.connection {
        Connection::Sandbox { seed } => {
            let endpoint = Endpoint::Sandbox { seed: seed.clone() };
            let session = Session::open(&endpoint).await?;
            let said = format!("{} (the in-process sandbox)", session.url);
            return Ok(Ok((
                session,
                UrlSeen {
                    said,
                    corrected: None,
                    https: false,
                },
            )));
        }
        Connection::Api {
            url,
            token,
            ca_cert,
        } => (url, token, ca_cert),
    };
    let example = "https://<tenant>.api.datagalaxy.com/v2";
    let Some(text) = url else {
        let fix = format!("set DATAGALAXY_URL={example} (or pass --url)");
        return Ok(Err(Check::fail(NAME, "no API URL is set", fix)));
    };
    let url = match usable(text) {
        Ok(url) => url,
        Err((why, fix)) => return Ok(Err(Check::fail(NAME, why, fix))),
    };
    let corrected = (!url.path().trim_end_matches('/').ends_with("/v2"))
        .then(|| crate::client::base_url::with_v2(url.clone()));
    let url = corrected.clone().unwrap_or(url);
    let proxy = proxy_for(&url, |name| std::env::var(name).ok());
    let host = url.host_str().unwrap_or_default().to_owned();
    let mut said = vec![url.to_string()];
    let named = matches!(url.host(), Some(url::Host::Domain(_)));
    match &proxy {
        Some(proxy) => said.push(format!("through the proxy {proxy}")),
        None if !named => {}
        None => match resolve(&host, url.port_or_known_default().unwrap_or(443)).await {
            Ok(address) => said.push(format!("{host} resolves to {address}")),
            Err(why) => {
                let fix = format!("check the host name in the URL ({example})");
                return Ok(Err(Check::fail(
                    NAME,
                    format!("'{host}' does not resolve: {why}"),
                    fix,
                )));
            }
        },
    }
    // Without a token the first request still tells about TLS (and gets a 401).
    let token = token.clone().unwrap_or_else(|_| Token::new(""));
    let endpoint = Endpoint::Api {
        url: url.clone(),
        token,
        ca_cert: ca_cert.clone(),
    };
    let session = Session::open(&endpoint).await?;
    Ok(Ok((
        session,
        UrlSeen {
            said: said.join(", "),
            corrected,
            https: url.scheme() == "https",
        },
    )))
}

/// The URL parsed, `https` (plain `http` only on loopback); else why and the fix.
fn usable(text: &str) -> Result<Url, (String, String)> {
    let url = Url::parse(text.trim()).map_err(|e| {
        (
            format!("'{text}' is not a URL: {e}"),
            "give the whole URL, e.g. https://<tenant>.api.datagalaxy.com/v2".to_owned(),
        )
    })?;
    crate::client::base_url::refuse_credentials(&url)
        .map_err(|why| (why, "remove them from the URL".to_owned()))?;
    let loopback = crate::client::base_url::is_loopback(&url);
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback => Ok(url),
        "http" => Err((
            format!("{url} is plain http: the token would cross the network in clear"),
            "use https://".to_owned(),
        )),
        other => Err((
            format!("{url}: unsupported scheme {other:?}"),
            "use https://".to_owned(),
        )),
    }
}

/// The first address `host` resolves to.
async fn resolve(host: &str, port: u16) -> Result<std::net::IpAddr, String> {
    let lookup = tokio::net::lookup_host((host, port));
    match tokio::time::timeout(Duration::from_secs(10), lookup).await {
        Ok(Ok(mut addresses)) => addresses
            .next()
            .map(|a| a.ip())
            .ok_or_else(|| "no address".to_owned()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer from the resolver within 10 s".to_owned()),
    }
}

/// The proxy the environment sets for `url` (as reqwest reads it), its
/// credentials hidden; none when `NO_PROXY` names the host.
pub(super) fn proxy_for(url: &Url, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let var = |name: &str| {
        env(name)
            .or_else(|| env(&name.to_lowercase()))
            .filter(|v| !v.is_empty())
    };
    let host = url.host_str().unwrap_or_default();
    let bypassed = var("NO_PROXY").is_some_and(|list| {
        list.split(',').map(str::trim).any(|entry| {
            let entry = entry.trim_start_matches('.');
            entry == "*"
                || (!entry.is_empty() && (host == entry || host.ends_with(&format!(".{entry}"))))
        })
    });
    if bypassed {
        return None;
    }
    let scheme = if url.scheme() == "https" {
        "HTTPS_PROXY"
    } else {
        "HTTP_PROXY"
    };
    let (name, value) = [scheme, "ALL_PROXY"]
        .into_iter()
        .find_map(|name| Some((name, var(name)?)))?;
    let shown = match Url::parse(&value) {
        Ok(mut proxy) => {
            let _ = proxy.set_password(None);
            let _ = proxy.set_username("");
            proxy.to_string()
        }
        Err(_) => "(unreadable)".to_owned(),
    };
    Some(format!("{shown} (from {name})"))
}

/// 3 and 4, from the first request (`GET /workspaces`): the handshake
/// went through; the token was accepted.
pub(super) fn first_answer(
    seen: UrlSeen,
    first: &Result<Answer, ApiError>,
    config: &DoctorConfig,
) -> (Check, Check) {
    const URL: &str = "url";
    const ACCESS: &str = "token accepted";
    let no_answer = |why: String, fix: &str| {
        let skipped = Check::skip(ACCESS, "skipped: 'url' failed");
        (Check::fail(URL, why, fix.to_owned()), skipped)
    };
    let network = "check the URL, this machine's network and its proxy (HTTPS_PROXY)";
    let answer = match first {
        Err(ApiError::Tls(why)) => {
            return no_answer(
                why.clone(),
                "see above; --ca-cert FILE trusts a proxy's authority",
            );
        }
        Err(e @ (ApiError::Transport { .. } | ApiError::Unresolved(_))) => {
            return no_answer(e.to_string(), network);
        }
        other => other,
    };
    let how = match seen.https {
        true => "TLS handshake done",
        false => "answered over plain http (loopback)",
    };
    let url = match seen.corrected {
        Some(fixed) => Check::warn(
            URL,
            format!("{}; {how}; the URL lacked /v2", seen.said),
            format!("use --url {fixed} (or DATAGALAXY_URL={fixed})"),
        ),
        None => Check::pass(URL, format!("{}; {how}", seen.said)),
    };
    let no_token = matches!(&config.connection, Connection::Api { token: Err(_), .. });
    let access = match answer {
        _ if no_token => Check::skip(ACCESS, "skipped: no token to try"),
        Ok(a) if a.status.is_success() => {
            let listed: serde_json::Value = a.json().unwrap_or_default();
            let count = listed
                .get("projects")
                .and_then(|p| p.as_array())
                .map_or(0, Vec::len);
            let workspaces = if count == 1 {
                "workspace"
            } else {
                "workspaces"
            };
            let said = format!(
                "GET /workspaces answered {}: {count} {workspaces}",
                a.status.as_u16()
            );
            Check::pass(ACCESS, said)
        }
        Ok(a) => refused(a),
        Err(ApiError::Stopped(Stop::Unauthorized)) => Check::fail(
            ACCESS,
            "token refused (401)",
            "the token is wrong or expired: issue a new one and set DATAGALAXY_TOKEN or --token-file",
        ),
        Err(e) => Check::fail(ACCESS, e.to_string(), network),
    };
    (url, access)
}

/// A first answer that is neither a 2xx nor a 401.
fn refused(answer: &Answer) -> Check {
    const ACCESS: &str = "token accepted";
    let status = answer.status.as_u16();
    let shape = shapes::error_body(answer.content_type.as_deref(), &answer.body);
    match status {
        403 => Check::fail(
            ACCESS,
            "token lacks rights (403)",
            "ask a DataGalaxy admin for a token that may read the workspace",
        ),
        404 => Check::fail(
            ACCESS,
            format!("GET /workspaces answered 404 ({shape} body): this URL is not the API's"),
            "the API's URL looks like https://<tenant>.api.datagalaxy.com/v2",
        ),
        _ => Check::fail(
            ACCESS,
            format!("GET /workspaces answered {status}: {}", answer.error()),
            "try again later; if it stays, ask DataGalaxy's support",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_proxy_is_the_one_reqwest_would_take_its_password_hidden() {
        let url = Url::parse("https://acme.api.datagalaxy.com/v2").unwrap();
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let proxy = proxy_for(&url, env(&[("HTTPS_PROXY", "http://me:s3cret@proxy:3128")]));
        assert_eq!(
            proxy.as_deref(),
            Some("http://proxy:3128/ (from HTTPS_PROXY)")
        );
        assert_eq!(proxy_for(&url, env(&[("http_proxy", "http://p:1")])), None);
        assert!(proxy_for(&url, env(&[("all_proxy", "http://p:1")])).is_some());
        let bypass = env(&[
            ("HTTPS_PROXY", "http://p:1"),
            ("NO_PROXY", ".datagalaxy.com"),
        ]);
        assert_eq!(proxy_for(&url, bypass), None);
    }

    #[test]
    fn a_url_must_be_https_but_on_loopback() {
        assert!(usable("https://acme.api.datagalaxy.com/v2").is_ok());
        assert!(usable("http://127.0.0.1:8080/v2").is_ok());
        let (why, fix) = usable("http://acme.api.datagalaxy.com/v2").unwrap_err();
        assert!(why.contains("in clear") && fix.contains("https"), "{why}");
        assert!(usable("acme.api.datagalaxy.com").is_err());
        let fixed = crate::client::base_url::with_v2(
            Url::parse("https://acme.api.datagalaxy.com/").unwrap(),
        );
        assert_eq!(fixed.as_str(), "https://acme.api.datagalaxy.com/v2");
    }
}
