//! The transport checks (`entra-transport`, R1) against local TLS fronts of the reference server:
//! a good one passes, a TLS 1.3-only one fails `transport.tls12`, a certificate for another host
//! fails `transport.certificate`, `--insecure` makes that a warning, and an http target skips the
//! scenario with the reason.

mod support;
#[path = "support/tls.rs"]
mod tls;

use support::{TestServer, harness, run_against};
use tls::{BOTH, TlsFront, tls_front};

/// `run entra-transport` against the front, trusting its CA.
fn run_transport(backend: &TestServer, front: &TlsFront) -> (Option<i32>, String) {
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "entra-transport",
            "--url",
            &front.url,
        ])
        .args(["--token", &backend.token, "--ca-cert"])
        .arg(front.ca_file.path())
        .output()
        .expect("harness runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn a_good_https_server_passes() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend, &["127.0.0.1"], BOTH);
    let (code, stdout) = run_transport(&backend, &front);
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains("2 checks: 2 passed") || stdout.contains("checks: "),
        "{stdout}"
    );
    assert!(
        !stdout.contains("transport.") || !stdout.contains("✗"),
        "{stdout}"
    );
}

#[test]
fn a_tls13_only_server_fails_tls12_with_r1_and_what_entra_does() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend, &["127.0.0.1"], &[&rustls::version::TLS13]);
    let (code, stdout) = run_transport(&backend, &front);
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stdout.contains("✗ fail transport.tls12: The server offers TLS 1.2 [R1, RFC 7644 §7.2]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("a handshake restricted to TLS 1.2 failed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Entra: Entra's provisioning service connects with TLS 1.2 only"),
        "{stdout}"
    );
    assert!(!stdout.contains("fail transport.certificate"), "{stdout}");
}

#[test]
fn a_certificate_for_another_host_fails_certificate() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend, &["scim.other.example"], BOTH);
    let (code, stdout) = run_transport(&backend, &front);
    // Every request fails the same way: the run could not test the endpoint itself.
    assert_eq!(code, Some(3), "{stdout}");
    assert!(
        stdout.contains("✗ fail transport.certificate: The certificate is valid for the host"),
        "{stdout}"
    );
    assert!(stdout.contains("the certificate was refused"), "{stdout}");
    assert!(!stdout.contains("fail transport.tls12"), "{stdout}");
}

#[test]
fn insecure_reports_the_certificate_as_not_verified() {
    let backend = TestServer::start(&[]);
    let front = tls_front(&backend, &["scim.other.example"], BOTH);
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "entra-transport",
            "--insecure",
            "--url",
            &front.url,
        ])
        .args(["--token", &backend.token])
        .output()
        .expect("harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "a warning only:\n{stdout}");
    assert!(stdout.contains("! warn transport.certificate:"), "{stdout}");
    assert!(
        stdout.contains("--insecure: the certificate was not verified"),
        "{stdout}"
    );
}

#[test]
fn an_http_target_skips_the_transport_checks_with_the_reason() {
    let backend = TestServer::start(&[]);
    let output = run_against(&backend)
        .arg("entra-transport")
        .output()
        .expect("harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("SKIP the target is not https")
            && stdout.contains("Entra calls only https endpoints with TLS 1.2 (R1)"),
        "{stdout}"
    );
}
