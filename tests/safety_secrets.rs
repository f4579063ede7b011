//! The token never leaves the process except in the Authorization header: every output mode,
//! every token source and every error path is run with a distinctive token, and every byte
//! written (stdout, stderr, every file under the run's folder) is searched for it.

mod hostile;
mod support;

use std::path::{Path, PathBuf};

use predicates::prelude::*;
use scim_harness::server::ServerProfile;
use support::{TestServer, harness};

const SECRET: &str = "Distinctive-Secret-0x5eed-7c1b9a";

/// One way of running the harness. Adding an output mode is one line here.
const MODES: &[(&str, &[&str])] = &[
    ("human", &["--no-snapshots"]),
    ("verbose", &["--no-snapshots", "-v"]),
    (
        "json on stdout",
        &["--no-snapshots", "--format", "json", "-v"],
    ),
    ("json file", &["--no-snapshots", "--json", "report.json"]),
    ("junit file", &["--no-snapshots", "--junit", "junit.xml"]),
    ("har trace", &["--no-snapshots", "--trace", "trace.har"]),
    ("html report", &["--no-snapshots", "--html", "report.html"]),
    (
        "snapshots",
        &["--snapshots", "snaps", "--update", "always", "-v"],
    ),
    (
        "pending snapshots",
        &["--snapshots", "snaps", "--update", "new"],
    ),
    (
        "everything at once",
        &[
            "-v", "--update", "new", "--json", "r.json", "--junit", "j.xml",
        ],
    ),
];

/// How the token reaches the harness.
#[derive(Clone, Copy, Debug)]
enum Source {
    Flag,
    File,
    Env,
}

struct Written {
    everything: String,
    files: Vec<PathBuf>,
}

fn run(dir: &Path, args: &[&str], source: Source) -> Written {
    let mut command = harness();
    command.current_dir(dir).args(args);
    match source {
        Source::Flag => {
            command.args(["--token", SECRET]);
        }
        Source::File => {
            let file = dir.join("token.txt");
            std::fs::write(&file, format!("  {SECRET}\n")).expect("token file");
            command.arg("--token-file").arg(file);
        }
        Source::Env => {
            command.env("SCIM_TOKEN", SECRET);
        }
    }
    let output = command.output().expect("the harness runs");
    let mut everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let files: Vec<PathBuf> = walk(dir)
        .into_iter()
        .filter(|f| !f.ends_with("token.txt"))
        .collect();
    for file in &files {
        everything.push_str(&String::from_utf8_lossy(
            &std::fs::read(file).unwrap_or_default(),
        ));
    }
    Written { everything, files }
}

#[track_caller]
fn assert_no_secret(written: &Written, what: &str) {
    assert!(
        !written.everything.contains(SECRET),
        "{what}: the token was written:\n{}",
        written.everything
    );
}

#[test]
fn no_output_mode_writes_the_token() {
    let accepting = TestServer::start_with(ServerProfile::Entra, &[], SECRET);
    let refusing = TestServer::start(&[]);
    for (server, label) in [(&accepting, "accepted"), (&refusing, "refused")] {
        for (mode, args) in MODES {
            let dir = tempfile::tempdir().expect("temp dir");
            let mut all = vec!["run", "--url"];
            let url = server.url();
            all.push(&url);
            all.extend_from_slice(args);
            let written = run(dir.path(), &all, Source::Flag);
            assert_no_secret(&written, &format!("{mode}, token {label}"));
            if args.contains(&"-v") {
                assert!(
                    written.everything.contains("Bearer [redacted]"),
                    "{mode}: -v shows the requests"
                );
            }
            if args
                .iter()
                .any(|a| a.ends_with(".json") || a.ends_with(".xml") || *a == "snaps")
            {
                assert!(!written.files.is_empty(), "{mode}: files were written");
            }
        }
    }
}

#[test]
fn no_token_source_leaks_the_token() {
    let accepting = TestServer::start_with(ServerProfile::Entra, &[], SECRET);
    for source in [Source::Flag, Source::File, Source::Env] {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = accepting.url();
        let args = [
            "run", "--url", &url, "-v", "--update", "new", "--json", "r.json",
        ];
        let written = run(dir.path(), &args, source);
        assert_no_secret(&written, &format!("{source:?}"));
        assert!(
            written.everything.contains("PASSED"),
            "{source:?}: the token reached the server"
        );
    }
}

#[test]
fn no_error_path_prints_the_token() {
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let unreachable = format!("http://127.0.0.1:{closed_port}/scim");
    let error_runs: &[(&str, &[&str])] = &[
        (
            "unreachable",
            &["run", "--no-snapshots", "--url", &unreachable],
        ),
        (
            "not a URL",
            &["run", "--no-snapshots", "--url", "ftp://nowhere"],
        ),
        (
            "unknown scenario",
            &[
                "run",
                "--no-snapshots",
                "--url",
                &unreachable,
                "no-such-scenario",
            ],
        ),
        (
            "unknown flag",
            &[
                "run",
                "--no-snapshots",
                "--url",
                &unreachable,
                "--frobnicate",
            ],
        ),
        (
            "missing CA file",
            &["run", "--url", &unreachable, "--ca-cert", "missing.pem"],
        ),
        ("cleanup unreachable", &["cleanup", "--url", &unreachable]),
        (
            "cleanup dry run refused",
            &["cleanup", "--url", &unreachable, "--prefix", "x"],
        ),
    ];
    for (what, args) in error_runs {
        for source in [Source::Flag, Source::File, Source::Env] {
            let dir = tempfile::tempdir().expect("temp dir");
            let written = run(dir.path(), args, source);
            assert_no_secret(&written, &format!("{what} ({source:?})"));
        }
    }

    // Both sources at once, and a token that cannot be a header value.
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("token.txt");
    std::fs::write(&file, SECRET).expect("token file");
    let output = harness()
        .args([
            "run",
            "--url",
            &unreachable,
            "--token",
            SECRET,
            "--token-file",
        ])
        .arg(&file)
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(!text.contains(SECRET), "{text}");

    let server = TestServer::start(&[]);
    let control = format!("{SECRET}\u{1}");
    let output = harness()
        .args([
            "run",
            "--no-snapshots",
            "entra-core",
            "--url",
            &server.url(),
            "--token",
            &control,
        ])
        .output()
        .expect("runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!text.contains(SECRET), "{text}");
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("a bearer token cannot carry"), "{text}");
}

/// A server that echoes the request's Authorization header in its body and headers, as debug
/// endpoints and some error pages do: what the harness keeps of the response is scrubbed too.
#[test]
fn a_server_echoing_the_token_does_not_make_the_harness_write_it() {
    let echo = hostile::HostileServer::start(|request| {
        let auth = request
            .header("Authorization")
            .unwrap_or_default()
            .to_string();
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
            "totalResults": 0,
            "Resources": [],
            "echo": auth,
        })
        .to_string();
        hostile::http(
            200,
            &[
                ("Content-Type", "application/scim+json"),
                ("X-Echo", auth.as_str()),
            ],
            body.as_bytes(),
        )
    });
    let truncating = hostile::HostileServer::start(|request| {
        let auth = request.header("Authorization").unwrap_or_default();
        hostile::Reply::Raw(
            format!("HTTP/1.1 200 OK\r\nContent-Length: 900\r\n\r\n{{\"echo\":\"{auth}")
                .into_bytes(),
        )
    });
    let (_scenario_dir, scenario) = hostile::one_get_scenario();
    for server in [&echo, &truncating] {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = server.url();
        let scenario = scenario.to_string_lossy();
        let args = [
            "run", "--url", &url, "-v", "--update", "new", "--json", "r.json", "--junit", "j.xml",
            &scenario,
        ];
        let written = run(dir.path(), &args, Source::Flag);
        assert_no_secret(&written, &format!("echoing server {url}"));
        assert!(written.everything.contains("Bearer [redacted]"));
        assert!(
            server.requests()[0].header("Authorization") == Some(&format!("Bearer {SECRET}")),
            "the token was sent"
        );
    }
}

/// An ASP.NET-style 401 that echoes the Authorization header the way System.Text.Json escapes
/// it (`+` as `\u002B`, `/` as `\/`, `=` as `\u003d`): every output, the pending snapshots and
/// the reports that show the body decoded and pretty-printed included, keeps it out.
#[test]
fn a_token_echoed_json_escaped_is_not_written_decoded() {
    const TOKEN: &str = "q8Zk+7fQ2mX/9vLp3w==";
    let server = hostile::HostileServer::start(|request| {
        let auth = request.header("Authorization").unwrap_or_default();
        let escaped = auth
            .replace('+', "\\u002B")
            .replace('/', "\\/")
            .replace('=', "\\u003d");
        hostile::scim(
            401,
            &format!(
                r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401","detail":"Invalid credentials: {escaped}"}}"#
            ),
        )
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let output = harness()
        .current_dir(dir.path())
        .args([
            "run",
            "--url",
            &server.url(),
            "--token",
            TOKEN,
            "--update",
            "new",
        ])
        .args([
            "-v", "--html", "r.html", "--json", "r.json", "--trace", "t.har",
        ])
        .args(["--junit", "j.xml"])
        .output()
        .expect("the harness runs");
    let mut everything = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let files = walk(dir.path());
    let pending = files
        .iter()
        .filter(|f| f.to_string_lossy().ends_with(".snap.new"))
        .count();
    assert!(pending >= 7, "pending snapshots: {files:?}");
    for file in &files {
        everything.push_str(&String::from_utf8_lossy(
            &std::fs::read(file).unwrap_or_default(),
        ));
    }
    assert!(
        !everything.contains(TOKEN),
        "the token was written:\n{everything}"
    );
    assert!(
        !everything.contains("q8Zk"),
        "part of the token was written"
    );
    assert!(everything.contains("Invalid credentials: Bearer [redacted]"));
    assert_eq!(
        server.requests()[0].header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the token was sent"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[test]
fn credentials_in_the_url_are_refused_without_being_shown() {
    for command in [&["run"][..], &["load", "--users", "1"], &["cleanup"]] {
        harness()
            .args(command)
            .args(["--url", "https://admin:PassW0rdXYZ@127.0.0.1:9/scim/v2"])
            .args(["--token", "t"])
            .assert()
            .code(2)
            .stderr(predicates::str::contains("carries credentials"))
            .stderr(predicates::str::contains("PassW0rdXYZ").not());
    }
    let dir = tempfile::tempdir().unwrap();
    harness()
        .args(["proxy", "--listen", "127.0.0.1:0", "--record"])
        .arg(dir.path().join("recorded.yaml"))
        .args([
            "--upstream",
            "https://admin:PassW0rdXYZ@127.0.0.1:9/scim/v2",
        ])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("credentials in the URL"))
        .stderr(predicates::str::contains("PassW0rdXYZ").not());
}

#[test]
fn a_token_a_header_cannot_carry_is_a_usage_error_without_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, b"secret-part-one\0secret-part-two\n").unwrap();
    harness()
        .args(["run", "--url", "http://127.0.0.1:9/scim", "--token-file"])
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("position 16"))
        .stderr(predicates::str::contains("secret-part").not());
    harness()
        .args(["run", "--url", "http://127.0.0.1:9/scim"])
        .args(["--token", "line-one\nline-two"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains(
            "the token (--token or SCIM_TOKEN)",
        ))
        .stderr(predicates::str::contains("line-one").not());
}
