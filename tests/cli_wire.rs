//! Wire fidelity: what reaches the server is what Entra sends, byte for byte where it matters
//! (shared/entra-reference.md §1.0). A raw TCP listener records the request bytes.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread;

use support::harness;

/// A minimal HTTP/1.1 server that records each raw request and answers every one with an empty
/// ListResponse (enough for the harness to go through the whole scenario).
fn recording_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/scim", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = Arc::clone(&requests);
    thread::spawn(move || {
        for stream in listener.incoming().take(64) {
            let Ok(mut stream) = stream else { break };
            let recorded = Arc::clone(&recorded);
            thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                loop {
                    let mut head = String::new();
                    let mut content_length = 0usize;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(value) =
                            line.to_ascii_lowercase().strip_prefix("content-length:")
                        {
                            content_length = value.trim().parse().unwrap_or(0);
                        }
                        let end = line == "\r\n";
                        head.push_str(&line);
                        if end {
                            break;
                        }
                    }
                    let mut body = vec![0; content_length];
                    reader.read_exact(&mut body).unwrap();
                    head.push_str(&String::from_utf8_lossy(&body));
                    recorded.lock().unwrap().push(head);
                    let answer = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":0}"#;
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{answer}",
                        answer.len()
                    );
                    if stream.write_all(response.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, requests)
}

#[test]
fn requests_carry_exactly_what_entra_sends() {
    let (url, requests) = recording_server();
    harness()
        .args([
            "run",
            "entra-core",
            "--no-snapshots",
            "--url",
            &url,
            "--token",
            "t0k3n",
        ])
        .assert()
        .code(1); // the recorder is no SCIM server; only the bytes matter here
    let requests = requests.lock().unwrap();

    let test_connection = &requests[0];
    let first_line = test_connection.lines().next().unwrap();
    assert!(
        first_line.starts_with("GET /scim/Users?filter=userName+eq+%22")
            && first_line.ends_with("%22 HTTP/1.1"),
        "form-encoded filter: {first_line}"
    );
    assert!(test_connection.contains("\r\nAuthorization: Bearer t0k3n\r\n"));
    let lower = test_connection.to_ascii_lowercase();
    assert!(
        !lower.contains("\r\naccept:"),
        "no Accept header: {test_connection}"
    );
    assert!(
        !lower.contains("\r\nuser-agent:"),
        "no User-Agent: {test_connection}"
    );
    assert!(
        !lower.contains("content-type:"),
        "no Content-Type without a body"
    );

    let no_token = &requests[1];
    assert!(!no_token.to_ascii_lowercase().contains("authorization:"));

    let create = requests
        .iter()
        .find(|r| r.starts_with("POST /scim/Users HTTP/1.1"))
        .expect("the create request");
    assert!(create.contains("\r\nContent-Type: application/scim+json; charset=utf-8\r\n"));
    let body = create.split("\r\n\r\n").nth(1).unwrap();
    assert!(
        body.starts_with(r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","#),
        "compact JSON in the scenario's key order: {body}"
    );
    assert!(body.contains(r#""roles":[]"#));
}
