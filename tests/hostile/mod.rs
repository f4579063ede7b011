//! A deliberately misbehaving HTTP server for the safety tests: raw TCP on 127.0.0.1, one thread
//! per connection, every wait bounded. A handler decides each answer from the request, down to
//! the bytes: truncated bodies, closed connections, answers that never come.

#![allow(dead_code)] // each test binary uses its own subset

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    /// `GET /scim/Users?filter=… HTTP/1.1`
    pub line: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    pub fn method(&self) -> &str {
        self.line.split(' ').next().unwrap_or_default()
    }

    /// The request target: a path, or an absolute URL when sent to a proxy.
    pub fn target(&self) -> &str {
        self.line.split(' ').nth(1).unwrap_or_default()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the server does with a request.
pub enum Reply {
    /// Write these bytes, then close the connection.
    Raw(Vec<u8>),
    /// Close the connection without writing anything.
    Close,
    /// Say nothing for this long, then close.
    Hang(Duration),
}

/// A complete HTTP/1.1 response that closes the connection.
pub fn http(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    let mut out = format!("HTTP/1.1 {status} Status\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    Reply::Raw(bytes)
}

/// A SCIM JSON response.
pub fn scim(status: u16, body: &str) -> Reply {
    http(
        status,
        &[("Content-Type", "application/scim+json")],
        body.as_bytes(),
    )
}

pub const EMPTY_LIST: &str = r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":0}"#;

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

pub struct HostileServer {
    port: u16,
    log: Arc<Mutex<Vec<Request>>>,
}

impl HostileServer {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local addr").port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept_log = log.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let handler = handler.clone();
                let log = accept_log.clone();
                thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        HostileServer { port, log }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:<port>/scim`
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/scim", self.port)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().expect("log").clone()
    }

    /// Waits (at most `limit`) until a request matches.
    pub fn wait_for(&self, limit: Duration, matches: impl Fn(&Request) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.requests().iter().any(&matches) {
                return true;
            }
            thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut stream = stream;
    // One request per connection: every reply closes it, so the client never reuses it.
    let Some(request) = read_request(&mut reader) else {
        return;
    };
    log.lock().expect("log").push(request.clone());
    match handler(&request) {
        Reply::Raw(bytes) => {
            let _ = stream.write_all(&bytes);
            let _ = stream.flush();
        }
        Reply::Close => {}
        Reply::Hang(duration) => thread::sleep(duration),
    }
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut headers = Vec::new();
    for _ in 0..200 {
        let mut header = String::new();
        reader.read_line(&mut header).ok()?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        line: line.trim_end().to_string(),
        headers,
        body,
    })
}

/// A scenario file with one GET of `/Users` that expects 200, in a fresh folder.
pub fn one_get_scenario() -> (tempfile::TempDir, std::path::PathBuf) {
    scenario_file(
        "one-get.yaml",
        r#"title: One GET
steps:
  - name: list-users
    title: Lists users
    request:
      method: GET
      path: /Users
    expect:
      - id: list.ok
        title: The list answers 200
        requirement: test
        status: 200
"#,
    )
}

/// A scenario that creates a user (registering its DELETE) and then reads it back.
pub const CREATE_THEN_GET: &str = r#"title: Create, then read
steps:
  - name: create
    title: Creates a user
    request:
      method: POST
      path: /Users
      body:
        schemas: [urn:ietf:params:scim:schemas:core:2.0:User]
        userName: "{{run.prefix}}.alice@contoso.example"
    capture:
      user_id: /id
    cleanup:
      method: DELETE
      path: /Users/{{user_id}}
  - name: read
    title: Reads it back
    request:
      method: GET
      path: /Users/{{user_id}}
"#;

pub fn create_then_get_scenario() -> (tempfile::TempDir, std::path::PathBuf) {
    scenario_file("create-then-get.yaml", CREATE_THEN_GET)
}

pub fn scenario_file(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("scenario written");
    (dir, path)
}

/// A server for `create_then_get_scenario`: POST creates `u-1`, DELETE removes it, and the GET
/// of the user is answered by `on_get`.
pub fn mini_scim(on_get: impl Fn() -> Reply + Send + Sync + 'static) -> HostileServer {
    HostileServer::start(move |request| match (request.method(), request.target()) {
        ("POST", "/scim/Users") => scim(
            201,
            r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-1","userName":"x"}"#,
        ),
        ("GET", "/scim/Users/u-1") => on_get(),
        ("DELETE", "/scim/Users/u-1") => http(204, &[], b""),
        _ => scim(
            404,
            r#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404"}"#,
        ),
    })
}
