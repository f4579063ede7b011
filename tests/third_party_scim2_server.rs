//! The harness against a SCIM server nobody here wrote: `scim2-server` from PyPI. `.ci/run`
//! installs it into `target/scim2-venv`; `SCIM2_SERVER` may point at another install. The exact set
//! of findings is committed under tests/expectations/, so a change either way (a harness check
//! that starts crying wolf, or one that stops catching a real deviation) fails this test.

mod support;

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::harness;

const TOKEN: &str = "third-party-token-5c2e";

struct Scim2Server {
    child: Child,
    base_url: String,
}

impl Drop for Scim2Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scim2_server_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("SCIM2_SERVER") {
        return Some(PathBuf::from(path));
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/scim2-venv/bin/scim2-server");
    venv.exists().then_some(venv)
}

/// Starts scim2-server on a free loopback port; `None` (with a note) where it is not installed,
/// except in CI, where its absence is a failure rather than a silent skip.
fn start() -> Option<Scim2Server> {
    let Some(binary) = scim2_server_binary() else {
        let in_ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false");
        assert!(
            !in_ci,
            "scim2-server is not installed: .ci/run installs it into target/scim2-venv"
        );
        eprintln!("skipped: scim2-server is not installed (run .ci/run, or set SCIM2_SERVER)");
        return None;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new(&binary)
        .args(["--hostname", "127.0.0.1", "--port", &port.to_string()])
        .args(["--bearer-token", TOKEN])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
    let server = Scim2Server {
        child,
        base_url: format!("http://127.0.0.1:{port}/v2"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "scim2-server did not start listening"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(server)
}

fn expectations(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/expectations")
        .join(name)
}

fn assert_findings_as_committed(profile: &str, expectations_file: &str) {
    let Some(server) = start() else { return };
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "--profile",
            profile,
            "--url",
            &server.base_url,
        ])
        .args(["--token", TOKEN, "--expect"])
        .arg(expectations(expectations_file))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "the findings on scim2-server differ from {expectations_file}:\n{stdout}"
    );
    assert!(!stdout.contains("LEFT BEHIND"), "{stdout}");
}

#[test]
fn the_default_suite_finds_exactly_the_committed_findings() {
    assert_findings_as_committed("entra", "scim2-server.yaml");
}

#[test]
fn the_insite_lms_profile_finds_exactly_the_committed_findings() {
    assert_findings_as_committed("insite-lms", "scim2-server-insite-lms.yaml");
}
