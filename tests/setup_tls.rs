//! A server whose certificate is refused: the run stops before any write
//! (exit 2), never retries, and says why in words that tell what to do. The
//! certificates in `tests/fixtures/tls` are made for these tests only: a test
//! authority, a certificate for another host name, and one that expired in
//! 2020.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::{ServerConfig, crypto};

use crate::common::{dg, valid_rows};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A TLS server on 127.0.0.1 presenting `name`.pem; counts handshakes tried.
async fn tls_server(name: &str) -> (String, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer> = CertificateDer::pem_file_iter(fixture(&format!("{name}.pem")))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{name}.key"))).unwrap();
    let config = ServerConfig::builder_with_provider(Arc::new(crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "https://127.0.0.1:{}/v2",
        listener.local_addr().unwrap().port()
    );
    let handshakes = Arc::new(AtomicUsize::new(0));
    let count = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::Relaxed);
            // The client refuses the certificate: the handshake fails there.
            let _ = acceptor.accept(stream).await;
        }
    });
    (url, handshakes)
}

async fn run_against(
    url: &str,
    ca_cert: Option<&Path>,
) -> (u8, String, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let token = dir.path().join("token");
    let report = dir.path().join("in.report.csv");
    std::fs::write(&input, valid_rows(3)).unwrap();
    std::fs::write(&token, "a-token").unwrap();
    let mut args: Vec<String> = [
        "run",
        &input.display().to_string(),
        "--url",
        url,
        "--token-file",
        &token.display().to_string(),
        "--report",
        &report.display().to_string(),
        "--timeout",
        "5s",
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    if let Some(ca) = ca_cert {
        args.extend(["--ca-cert".into(), ca.display().to_string()]);
    }
    let (code, error) = dg(&args.iter().map(String::as_str).collect::<Vec<_>>()).await;
    (code, error.unwrap_or_default(), report, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_unknown_authority_stops_at_once_and_points_to_ca_cert() {
    let (url, handshakes) = tls_server("wrong-host").await;
    let (code, error, report, _dir) = run_against(&url, None).await;
    assert_eq!(code, 2, "{error}");
    assert!(
        error.starts_with("listing workspaces: the server's certificate is signed by an authority this system does not trust"),
        "{error}"
    );
    assert!(error.contains("--ca-cert FILE"), "{error}");
    assert_eq!(handshakes.load(Ordering::Relaxed), 1, "never retried");
    assert!(!report.exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_says_so() {
    let (url, handshakes) = tls_server("wrong-host").await;
    let (code, error, _, _dir) = run_against(&url, Some(&fixture("ca.pem"))).await;
    assert_eq!(code, 2, "{error}");
    assert!(error.contains("not valid for this host name"), "{error}");
    assert_eq!(handshakes.load(Ordering::Relaxed), 1, "never retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_certificate_says_so() {
    let (url, handshakes) = tls_server("expired").await;
    let (code, error, _, _dir) = run_against(&url, Some(&fixture("ca.pem"))).await;
    assert_eq!(code, 2, "{error}");
    assert!(
        error.contains("the server's certificate has expired"),
        "{error}"
    );
    assert_eq!(handshakes.load(Ordering::Relaxed), 1, "never retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_fails_the_url_on_a_refused_certificate_saying_to_use_ca_cert() {
    let (url, handshakes) = tls_server("wrong-host").await;
    let mut cmd = crate::common::binary();
    cmd.args(["doctor", "--url", &url, "--max-retries", "0"])
        .env("DATAGALAXY_TOKEN", "a-token")
        .stdin(std::process::Stdio::null());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let url_line = stdout.lines().find(|l| l.contains("  url: ")).unwrap();
    assert!(url_line.starts_with("FAIL"), "{stdout}");
    assert!(url_line.contains("--ca-cert FILE"), "{stdout}");
    assert!(stdout.contains("SKIP  token accepted"), "{stdout}");
    assert_eq!(handshakes.load(Ordering::Relaxed), 1, "never retried");
}
