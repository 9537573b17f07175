//! The sandbox's accept loop and the steps every request passes before and
//! after the routes: request log, limits, injected faults (drawn from the
//! seed, `faults.rs`), latency, auth.
//!
//! We own the accept loop (instead of `axum::serve`) because some faults must
//! close the TCP connection without any HTTP answer: a hyper service that
//! returns an error does exactly that, per request.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use super::answer::error;
use super::faults::Draw;
use super::limits::Admission;
use super::{App, Variant};

/// The connection is closed without an answer.
#[derive(Debug)]
pub(crate) struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by the sandbox")
    }
}

impl std::error::Error for Dropped {}

pub(crate) async fn accept_loop(
    listener: TcpListener,
    app: Arc<App>,
    router: Router,
    stop: CancellationToken,
) {
    let mut connections = JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("sandbox: accept failed: {e}");
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let (app, router) = (app.clone(), router.clone());
        connections.spawn(async move {
            let service =
                hyper::service::service_fn(move |req| handle(app.clone(), router.clone(), req));
            // Errors here are the dropped connections we asked for, or a client going away.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        while connections.try_join_next().is_some() {}
    }
    // Dropping the set aborts connections still open.
}

async fn handle(
    app: Arc<App>,
    router: Router,
    req: Request<Incoming>,
) -> Result<Response<Body>, Dropped> {
    let arrived = Instant::now();
    let method = req.method().clone();
    let path = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |p| p.to_string());
    let entry = app.log_arrival(arrived, &method, &path);
    let remaining = match app.limits.admit(arrived) {
        Admission::Blocked { retry_after } => {
            let mut res = error(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit exceeded: blocked",
            );
            set_retry_after(&app, &mut res, retry_after);
            return Ok(finish(&app, entry, res, 0));
        }
        Admission::Go { delay, remaining } => {
            if !delay.is_zero() {
                app.log_delay(entry, delay);
                tokio::time::sleep(delay).await;
            }
            remaining
        }
    };
    let (parts, body) = req.into_parts();
    // A client that goes away mid-body gets nothing.
    let body = (axum::body::to_bytes(Body::new(body), usize::MAX).await).map_err(|_| Dropped)?;
    // Drawn only when faults are on: each draw remembers its request.
    let faulty = app.fail_rate() > 0.0 || app.drop_after_commit_rate() > 0.0;
    let draw = match faulty {
        true => app.faults.draw(&method, &path, &body),
        false => Draw::NONE,
    };
    if let Some(fault) = injected(&app, &path, draw) {
        return fault
            .map(|res| finish(&app, entry, res, remaining))
            .inspect_err(|_| app.log_answer(entry, None, false));
    }
    if !app.config.latency.is_zero() {
        let spread = 0.5 + fastrand::f64();
        tokio::time::sleep(app.config.latency.mul_f64(spread)).await;
    }
    let write = method == Method::POST || method == Method::PUT;
    if let Some(res) = refused(&app, &parts.headers, write, &path) {
        return Ok(finish(&app, entry, res, remaining));
    }
    let req = Request::from_parts(parts, Body::from(body));
    let res = (router.oneshot(req).await).unwrap_or_else(|e: Infallible| match e {});
    if write && res.status().is_success() && draw.after_commit < app.drop_after_commit_rate() {
        app.log_answer(entry, Some(res.status().as_u16()), true);
        return Err(Dropped);
    }
    Ok(finish(&app, entry, res, remaining))
}

/// The fault this request meets, if it is drawn to fail: half answered
/// 503, half dropped unanswered.
fn injected(app: &App, path: &str, draw: Draw) -> Option<Result<Response<Body>, Dropped>> {
    let targeted = (app.config.fail_only.as_ref()).is_none_or(|p| path.starts_with(p.as_str()));
    if !targeted || draw.fail >= app.fail_rate() {
        return None;
    }
    Some(match draw.drop {
        true => Err(Dropped),
        false => Ok(error(
            app,
            StatusCode::SERVICE_UNAVAILABLE,
            "service unavailable (injected)",
        )),
    })
}

/// The answer to a request the API refuses before its route: a wrong
/// token, a write into a read-only version, a bulk route it lacks.
fn refused(app: &App, headers: &HeaderMap, write: bool, path: &str) -> Option<Response<Body>> {
    let expected = format!("Bearer {}", app.config.token);
    let authorized =
        (headers.get(header::AUTHORIZATION)).is_some_and(|v| v.as_bytes() == expected.as_bytes());
    if !authorized {
        return Some(error(
            app,
            StatusCode::UNAUTHORIZED,
            "missing or invalid token",
        ));
    }
    if write && app.has(Variant::ReadOnly) {
        let message = "This workspace version is read-only";
        return Some(error(app, StatusCode::BAD_REQUEST, message));
    }
    if app.has(Variant::NoBulk) && path.starts_with("/v2/sources/bulk/") {
        return Some(error(app, StatusCode::NOT_FOUND, "no such route"));
    }
    None
}

fn finish(app: &App, entry: usize, mut res: Response<Body>, remaining: u64) -> Response<Body> {
    if !app.has(Variant::NoRateLimitHeader) {
        res.headers_mut()
            .insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    }

    app.log_answer(entry, Some(res.status().as_u16()), false);
    res
}

fn set_retry_after(app: &App, res: &mut Response<Body>, wait: Duration) {
    let value = if app.has(Variant::NoRetryAfter) {
        return;
    } else if app.has(Variant::RetryAfterDate) {
        // An HTTP date has whole seconds: round up so the client never comes back early.
        httpdate::fmt_http_date(SystemTime::now() + wait + Duration::from_secs(1))
    } else {
        wait.as_secs_f64().ceil().max(1.0).to_string()
    };
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
}
