//! The DataGalaxy client. Every HTTP attempt passes the limiter first and
//! reports its answer back to it; reqwest's own retries and redirects are off
//! so that nothing is ever sent behind the limiter's back. The token is only
//! ever put in the `Authorization` header of a request to the base URL's
//! origin.

pub mod wire;

use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::client::halt::Halt;
use crate::client::pace::Pace;
use crate::client::retry;
use crate::exit::{Stop, usage};

/// An API token. Never printed: it has no `Display`, and `Debug` shows `***`.
#[derive(Clone)]
pub(crate) struct Token(String);

impl Token {
    /// A token as given, for the sandbox and tests: surrounding whitespace
    /// dropped, nothing checked.
    pub(crate) fn new(text: impl Into<String>) -> Token {
        Token(text.into().trim().to_owned())
    }

    /// A token as a user gives it (`from` says where: the file, or the
    /// variable), checked before it is ever sent: a byte-order mark (what
    /// Windows Notepad writes) and surrounding whitespace are dropped; a
    /// line break, a control character, a space or a non-ASCII character
    /// inside is refused, naming where it is but never the token.
    pub(crate) fn parse(text: &str, from: &str) -> Result<Token, String> {
        let bare = text.trim_start_matches('\u{FEFF}').trim();
        if bare.len() != text.len() {
            tracing::debug!(
                "the token from {from}: a byte-order mark or whitespace around it is left out"
            );
        }
        if bare.is_empty() {
            return Err(format!("the API token from {from} is empty"));
        }
        let bad = bare
            .chars()
            .enumerate()
            .find(|(_, c)| !c.is_ascii_graphic());
        if let Some((at, c)) = bad {
            let what = match c {
                '\n' | '\r' => "a line break".to_owned(),
                c if c.is_control() => format!("a control character (U+{:04X})", c as u32),
                c if c.is_whitespace() => "a space".to_owned(),
                c => format!("a non-ASCII character (U+{:04X})", c as u32),
            };
            return Err(format!(
                "the API token from {from} holds {what} at character {} of {}: a token is \
                 one line of printable ASCII; copy it again from DataGalaxy",
                at + 1,
                bare.chars().count()
            ));
        }
        Ok(Token(bare.to_owned()))
    }

    /// The token in `path` (`--token-file`), checked as `parse` does.
    pub(crate) fn read_file(path: &Path) -> Result<Token, String> {
        let bytes = std::fs::read(path)
            .map_err(|e| format!("reading --token-file {}: {e}", path.display()))?;
        let from = format!("--token-file {}", path.display());
        let text = String::from_utf8(bytes).map_err(|_| {
            format!(
                "the API token from {from} is not text (not UTF-8): copy it again from DataGalaxy"
            )
        })?;
        Token::parse(&text, &from)
    }

    /// The token's text, for reading its claims (`doctor`): never to print.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Why a request did not give a usable answer.
#[derive(Debug, Clone, thiserror::Error)]
pub(crate) enum ApiError {
    #[error(transparent)]
    Stopped(#[from] Stop),
    #[error("HTTP {status}: {message}")]
    Http { status: u16, message: String },
    /// No HTTP answer. `maybe_sent`: the request may have reached the server.
    #[error("{message}")]
    /// `timed_out`: no answer within `--timeout`.
    Transport {
        message: String,
        maybe_sent: bool,
        timed_out: bool,
    },
    /// The server's certificate was refused: never transient, never retried.
    #[error("{0}")]
    Tls(String),
    /// The host name does not resolve: a setting to fix, retried only a
    /// few times within seconds (a passing resolver hiccup).
    #[error("{0}")]
    Unresolved(String),
    #[error("unexpected answer: {0}")]
    Decode(String),
}

impl ApiError {
    /// The kind of failure, without its details: `HTTP 503`, `no answer`.
    pub(crate) fn kind(&self) -> String {
        match self {
            ApiError::Stopped(_) => "stopped".into(),
            ApiError::Http { status, .. } => format!("HTTP {status}"),
            ApiError::Transport {
                timed_out: true, ..
            } => "no answer within --timeout".into(),
            ApiError::Transport { .. } => "no answer".into(),
            ApiError::Tls(_) => "certificate refused".into(),
            ApiError::Unresolved(_) => "host name not resolved".into(),
            ApiError::Decode(_) => "an answer that could not be read".into(),
        }
    }

    /// Worth another attempt: a 5xx, or no answer at all.
    pub(crate) fn is_transient(&self) -> bool {
        match self {
            ApiError::Http { status, .. } => *status >= 500,
            ApiError::Transport { .. } => true,
            _ => false,
        }
    }

    /// The same failure, saying how many attempts it took.
    pub(crate) fn after_attempts(self, attempts: u32) -> ApiError {
        let plural = if attempts == 1 { "" } else { "s" };
        let note = |m: String| format!("{m} (after {attempts} attempt{plural})");
        match self {
            ApiError::Http { status, message } => ApiError::Http {
                status,
                message: note(message),
            },
            ApiError::Transport {
                message,
                maybe_sent,
                timed_out,
            } => ApiError::Transport {
                message: note(message),
                maybe_sent,
                timed_out,
            },
            ApiError::Decode(message) => ApiError::Decode(note(message)),
            other => other,
        }
    }

    /// No answer within the request's timeout.
    pub(crate) fn timed_out(&self) -> bool {
        matches!(
            self,
            ApiError::Transport {
                timed_out: true,
                ..
            }
        )
    }

    pub(crate) fn status(&self) -> Option<u16> {
        match self {
            ApiError::Http { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// An HTTP answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: bytes::Bytes,
    pub(crate) retry_after: Option<Duration>,
    /// `X-RateLimit-Remaining`, when the answer carried it.
    pub(crate) remaining: Option<u64>,
    pub(crate) content_type: Option<String>,
}

impl Answer {
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::Decode(e.to_string()))
    }

    /// The error this answer stands for (not for 2xx).
    pub(crate) fn error(&self) -> ApiError {
        let message = wire::error_message(&self.body)
            .unwrap_or_else(|| self.status.canonical_reason().unwrap_or("error").to_owned());
        ApiError::Http {
            status: self.status.as_u16(),
            message,
        }
    }
}

pub(crate) struct Client {
    http: reqwest::Client,
    base: Url,
    token: Token,
    pace: Arc<Pace>,
    halt: Arc<Halt>,
    max_retries: u32,
    /// What this run learned of the tenant's routes (a missing bulk route).
    known: crate::client::routes::Known,
    /// A listing page timed out and was split (said once).
    pub(in crate::client) split_pages: std::sync::atomic::AtomicBool,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .finish_non_exhaustive()
    }
}

pub(crate) struct ClientOptions<'a> {
    pub(crate) timeout: Duration,
    pub(crate) ca_cert: Option<&'a Path>,
    pub(crate) max_retries: u32,
}

impl Client {
    pub(crate) fn new(
        base: Url,
        token: Token,
        (pace, halt): (Arc<Pace>, Arc<Halt>),
        options: ClientOptions<'_>,
    ) -> anyhow::Result<Client> {
        // reqwest is built without a default crypto provider; ring is ours.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .retry(reqwest::retry::never())
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(options.timeout)
            // Below any usual server keep-alive: a stale pooled connection fails mid-POST.
            .pool_idle_timeout(Duration::from_secs(15))
            .user_agent(concat!("dg-import/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = options.ca_cert {
            let pem = std::fs::read(path)
                .with_context(|| format!("reading --ca-cert {}", path.display()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                usage(format!(
                    "--ca-cert {}: not a PEM certificate: {e}",
                    path.display()
                ))
            })?;
            builder = builder.tls_certs_merge(certs);
        }
        Ok(Client {
            http: builder.build()?,
            base,
            token,
            pace,
            halt,
            max_retries: options.max_retries,
            known: Default::default(),
            split_pages: Default::default(),
        })
    }

    pub(crate) fn pace(&self) -> &Pace {
        &self.pace
    }

    /// The run's stop: asked by every request, decided by the run.
    pub(crate) fn halt(&self) -> &Halt {
        &self.halt
    }

    /// What this run learned of the tenant's routes.
    pub(crate) fn routes(&self) -> &crate::client::routes::Known {
        &self.known
    }

    /// The base URL requests go to.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    /// Retries of the writes of rows and tags.
    pub(crate) fn writes(&self) -> retry::Policy {
        retry::Policy::writes(self.max_retries)
    }

    /// Retries of every read.
    pub(crate) fn reads(&self) -> retry::Policy {
        retry::Policy::reads(self.max_retries)
    }

    /// `base` + `path` (which starts with `/`) + query pairs.
    pub(crate) fn url(&self, path: &str, query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        url.set_path(&format!("{}{path}", self.base.path()));
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        url
    }

    fn same_origin(&self, url: &Url) -> bool {
        url.scheme() == self.base.scheme()
            && url.host_str() == self.base.host_str()
            && url.port_or_known_default() == self.base.port_or_known_default()
    }

    /// One attempt, through the limiter. Any HTTP answer is `Ok`, whatever its
    /// status; the limiter has seen it (a 429 has paused the run).
    pub(in crate::client) async fn attempt<B: Serialize + ?Sized>(
        &self,
        method: Method,
        url: Url,
        body: Option<&B>,
    ) -> Result<Answer, ApiError> {
        debug_assert!(
            self.same_origin(&url),
            "the token only goes to the base URL's origin"
        );
        let ticket = self.pace.acquire().await?;
        let mut request = self.http.request(method, url).bearer_auth(&self.token.0);
        if let Some(body) = body {
            request = request.json(body);
        }
        let sent = tokio::select! {
            sent = request.send() => sent.map_err(|e| transport(&e)),
            _ = self.halt.cut() => Err(cut_off()),
        };
        let response = match sent {
            Ok(r) => r,
            Err(e) => {
                self.pace.observe(ticket, None, None, None)?;
                return Err(e);
            }
        };
        let status = response.status();
        let headers = response.headers();
        let remaining = headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse().ok());
        let retry_after = headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| retry::parse_retry_after(v, headers.get(reqwest::header::DATE)));
        let content_type = (headers.get(reqwest::header::CONTENT_TYPE))
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        self.pace
            .observe(ticket, Some(status.as_u16()), remaining, retry_after)?;
        let body = tokio::select! {
            body = response.bytes() => body.map_err(|e| transport(&e))?,
            _ = self.halt.cut() => return Err(cut_off()),
        };
        Ok(Answer {
            status,
            body,
            retry_after,
            remaining,
            content_type,
        })
    }
}

/// The run stopped and its grace period ended before the answer came.
fn cut_off() -> ApiError {
    ApiError::Transport {
        message: "no answer before the run stopped".into(),
        maybe_sent: true,
        timed_out: false,
    }
}

fn transport(e: &reqwest::Error) -> ApiError {
    if let Some(refused) = certificate_refused(e) {
        return ApiError::Tls(refused);
    }
    if let Some(unresolved) = unresolved(e) {
        return ApiError::Unresolved(unresolved);
    }
    let mut message = if e.is_timeout() {
        "timed out".to_owned()
    } else {
        "no answer".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    // A connect error never reached the server; anything later may have.
    ApiError::Transport {
        message,
        maybe_sent: !e.is_connect(),
        timed_out: e.is_timeout(),
    }
}

/// A host name that does not resolve, said as a setting to fix: hyper's
/// connector reports it as a "dns error" in the error's chain.
fn unresolved(e: &reqwest::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.to_string().starts_with("dns error") {
            let cause = s.source().map_or_else(|| s.to_string(), |c| c.to_string());
            let host = e.url().and_then(|u| u.host_str()).unwrap_or("?");
            return Some(format!(
                "the host name '{host}' does not resolve ({cause}): check --url \
                 (or DATAGALAXY_URL)"
            ));
        }
        source = s.source();
    }
    None
}

/// Why the server's certificate was refused, in words that say what to do,
/// read from rustls's own error value wherever it sits in the chain (inside
/// `io::Error`s, nested, whose `source` skips what they wrap).
fn certificate_refused(e: &reqwest::Error) -> Option<String> {
    fn tls_in<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        let wrapped = e.downcast_ref::<std::io::Error>()?.get_ref()?;
        tls_in(wrapped)
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(tls) = tls_in(s) {
            return Some(explain_tls(tls));
        }
        source = s.source();
    }
    None
}

fn explain_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(cert) = e else {
        return format!("TLS handshake failed: {e}");
    };
    match cert {
        C::UnknownIssuer => "the server's certificate is signed by an authority this system \
            does not trust; a company proxy or a server with its own authority needs \
            --ca-cert FILE (its PEM certificate)"
            .to_owned(),
        C::NotValidForName | C::NotValidForNameContext { .. } => format!(
            "the server's certificate is not valid for this host name ({e}): check --url \
             (or DATAGALAXY_URL)"
        ),
        C::Expired | C::ExpiredContext { .. } => {
            format!("the server's certificate has expired ({e})")
        }
        C::NotValidYet | C::NotValidYetContext { .. } => {
            format!("the server's certificate is not valid yet ({e}): check this machine's clock")
        }
        _ => format!("the server's certificate was refused: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_certificate_says_what_to_do_about_it() {
        use rustls::CertificateError as C;
        let say = |c: C| explain_tls(&rustls::Error::InvalidCertificate(c));
        assert!(say(C::UnknownIssuer).contains("--ca-cert FILE"));
        assert!(say(C::NotValidForName).contains("not valid for this host name"));
        assert!(say(C::Expired).contains("has expired"));
        assert!(say(C::NotValidYet).contains("not valid yet"));
    }

    /// A resolver that knows no name, as a mistyped host meets: nothing leaves
    /// this machine.
    struct NoSuchHost;

    impl reqwest::dns::Resolve for NoSuchHost {
        fn resolve(&self, _: reqwest::dns::Name) -> reqwest::dns::Resolving {
            Box::pin(async {
                let e = std::io::Error::other("failed to lookup address information");
                Err(Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
            })
        }
    }

    #[tokio::test]
    async fn a_host_that_does_not_resolve_is_a_setting_to_fix_naming_the_url() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .dns_resolver(std::sync::Arc::new(NoSuchHost))
            .build()
            .unwrap();
        let e = http
            .get("http://acme.api.datagalaxi.example/v2")
            .send()
            .await
            .unwrap_err();
        let failure = transport(&e);
        assert!(!failure.is_transient(), "{failure:?}");
        let said = failure.to_string();
        assert!(
            said.contains("'acme.api.datagalaxi.example' does not resolve"),
            "{said}"
        );
        assert!(said.contains("DATAGALAXY_URL"), "{said}");
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        let token = Token::new("s3cr3t-value\n");
        assert_eq!(format!("{token:?}"), "Token(***)");
        assert_eq!(token.0, "s3cr3t-value");
    }

    #[test]
    fn a_token_loses_its_byte_order_mark_and_whitespace_and_damage_inside_is_named() {
        let token = Token::parse("\u{FEFF}  abc.def-ghi_jkl \r\n", "--token-file t").unwrap();
        assert_eq!(token.0, "abc.def-ghi_jkl");
        for (text, what) in [
            ("abc\ndef", "a line break at character 4 of 7"),
            ("abc\r\ndef", "a line break at character 4"),
            ("abc\tdef", "a control character (U+0009)"),
            ("abc def", "a space at character 4"),
            ("abcdé", "a non-ASCII character (U+00E9)"),
            ("ab\u{FEFF}c", "a non-ASCII character (U+FEFF)"),
        ] {
            let why = Token::parse(text, "the environment variable DATAGALAXY_TOKEN").unwrap_err();
            assert!(why.contains(what), "{text:?}: {why}");
            assert!(
                why.contains("from the environment variable DATAGALAXY_TOKEN"),
                "{why}"
            );
            assert!(!why.contains("abc"), "never the token: {why}");
        }
        let empty = Token::parse("\u{FEFF}\n", "--token-file t").unwrap_err();
        assert_eq!(empty, "the API token from --token-file t is empty");
    }
}
