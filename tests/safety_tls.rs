//! TLS and proxies: certificates are verified by default, `--ca-cert` adds a private CA,
//! `--insecure` skips verification only when asked and says so, and HTTPS_PROXY/HTTP_PROXY/NO_PROXY
//! are honoured. The target is the reference server behind a rustls terminator on 127.0.0.1 with
//! a CA and certificate generated here.

mod hostile;
mod support;
#[path = "support/tls.rs"]
mod tls;

use std::sync::{Arc, Mutex};

use predicates::prelude::*;
use support::{TestServer, harness};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The reference server behind TLS with a certificate for 127.0.0.1.
fn tls_front(backend: &TestServer) -> tls::TlsFront {
    tls::tls_front(backend, &["127.0.0.1"], tls::BOTH)
}

#[test]
fn an_unknown_ca_fails_verification_and_ca_cert_makes_it_pass() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend);
    let ca_file = front.ca_file.path();

    harness()
        .args(["run", "--no-snapshots", "entra-core", "--url", &front.url])
        .args(["--token", &backend.token])
        .assert()
        .code(3)
        .stdout(predicate::str::contains("TLS failed"))
        .stdout(predicate::str::contains("UnknownIssuer"));

    harness()
        .args(["run", "--no-snapshots", "entra-core", "--url", &front.url])
        .args(["--token", &backend.token, "--ca-cert"])
        .arg(ca_file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("PASSED"));
    assert_eq!(backend.count("Users"), 0, "the run left users behind");
}

#[test]
fn insecure_skips_verification_only_when_asked_and_warns() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend);
    harness()
        .args([
            "run",
            "--no-snapshots",
            "entra-core",
            "--insecure",
            "--url",
            &front.url,
        ])
        .args(["--token", &backend.token])
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: --insecure: server certificates are not verified",
        ));
}

#[test]
fn a_ca_cert_that_is_not_pem_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bogus = dir.path().join("ca.pem");
    std::fs::write(&bogus, "not a certificate").expect("written");
    harness()
        .args([
            "run",
            "--no-snapshots",
            "--url",
            "https://127.0.0.1:9/scim",
            "--ca-cert",
        ])
        .arg(&bogus)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no PEM certificate"));
}

/// A CONNECT proxy on 127.0.0.1 that records each CONNECT line and tunnels to the destination.
fn connect_proxy(runtime: &tokio::runtime::Runtime) -> (u16, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let log = seen.clone();
    runtime.spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(socket);
                let mut line = String::new();
                if client.read_line(&mut line).await.is_err() {
                    return;
                }
                loop {
                    let mut header = String::new();
                    match client.read_line(&mut header).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if header.trim().is_empty() => break,
                        Ok(_) => {}
                    }
                }
                log.lock().expect("log").push(line.trim_end().to_string());
                let destination = line.split(' ').nth(1).unwrap_or_default().to_string();
                let Ok(mut upstream) = TcpStream::connect(destination).await else {
                    return;
                };
                let mut client = client.into_inner();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (port, seen)
}

/// The harness with no proxy settings from the developer's shell.
fn harness_without_proxies() -> assert_cmd::Command {
    let mut command = harness();
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
        "NO_PROXY",
        "no_proxy",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn https_goes_through_the_https_proxy_in_a_connect_tunnel() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend);
    let (proxy_port, seen) = connect_proxy(&backend.runtime);
    let ca_file = front.ca_file.path();
    harness_without_proxies()
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{proxy_port}"))
        .args(["run", "--no-snapshots", "entra-core", "--url", &front.url])
        .args(["--token", &backend.token, "--ca-cert"])
        .arg(ca_file)
        .assert()
        .code(0);
    let authority = front
        .url
        .trim_start_matches("https://")
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let lines = seen.lock().expect("log").clone();
    assert!(!lines.is_empty(), "the proxy was not used");
    assert!(
        lines
            .iter()
            .all(|l| *l == format!("CONNECT {authority} HTTP/1.1")),
        "{lines:?}"
    );
}

#[test]
fn plain_http_goes_to_the_http_proxy_in_absolute_form_with_its_credentials() {
    let proxy = hostile::HostileServer::start(|_| hostile::scim(200, hostile::EMPTY_LIST));
    let (_dir, scenario) = hostile::one_get_scenario();
    // Port 9 (discard) is closed here: only the proxy can answer.
    harness_without_proxies()
        .env(
            "HTTP_PROXY",
            format!("http://user:pw@127.0.0.1:{}", proxy.port()),
        )
        .args([
            "run",
            "--no-snapshots",
            "--url",
            "http://127.0.0.1:9/scim",
            "--token",
            "t",
        ])
        .arg(&scenario)
        .assert()
        .code(0);
    let requests = proxy.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].target(), "http://127.0.0.1:9/scim/Users");
    assert_eq!(
        requests[0].header("Proxy-Authorization"),
        Some("Basic dXNlcjpwdw==")
    );
    assert_eq!(requests[0].header("Authorization"), Some("Bearer t"));
}

#[test]
fn no_proxy_bypasses_the_proxy_and_a_refusing_proxy_is_could_not_run() {
    let backend = TestServer::start(&[]);
    let proxy = hostile::HostileServer::start(|_| hostile::http(403, &[], b"no"));
    harness_without_proxies()
        .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port()))
        .env("NO_PROXY", "localhost,127.0.0.1")
        .args([
            "run",
            "--no-snapshots",
            "entra-core",
            "--url",
            &backend.url(),
        ])
        .args(["--token", &backend.token])
        .assert()
        .code(0);
    assert!(proxy.requests().is_empty(), "{:?}", proxy.requests());

    harness_without_proxies()
        .env("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port()))
        .args([
            "run",
            "--no-snapshots",
            "--url",
            "https://127.0.0.1:9/scim",
            "--token",
            "t",
        ])
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "through the proxy http://127.0.0.1:",
        ));
}
