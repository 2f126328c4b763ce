//! A fault-injecting HTTP proxy between flowaudit and moto, on 127.0.0.1.
//!
//! flowaudit is pointed at the proxy with `AWS_ENDPOINT_URL`. The proxy identifies each
//! request's service and region from its SigV4 credential scope, its action from the
//! `X-Amz-Target` header, the query `Action`, or (S3) the sub-resource, and its bucket from
//! the path. Requests that match a rule get that rule's fault; all others are forwarded to
//! moto unchanged. Every request is logged with the fault it got.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// Which requests a rule applies to; `None` matches anything.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub service: Option<&'static str>,
    pub action: Option<&'static str>,
    pub region: Option<&'static str>,
    pub bucket: Option<&'static str>,
    /// Text the request body must contain (an account id in an AssumeRole's RoleArn, say).
    pub body: Option<&'static str>,
}

impl Target {
    pub fn service(service: &'static str) -> Target {
        Target {
            service: Some(service),
            ..Target::default()
        }
    }
    pub fn action(mut self, action: &'static str) -> Target {
        self.action = Some(action);
        self
    }
    pub fn region(mut self, region: &'static str) -> Target {
        self.region = Some(region);
        self
    }
    pub fn bucket(mut self, bucket: &'static str) -> Target {
        self.bucket = Some(bucket);
        self
    }
    pub fn body(mut self, text: &'static str) -> Target {
        self.body = Some(text);
        self
    }
    fn matches(&self, r: &RequestInfo) -> bool {
        self.service.is_none_or(|s| s == r.service)
            && self.action.is_none_or(|a| a == r.action)
            && self.region.is_none_or(|g| g == r.region)
            && self.bucket.is_none_or(|b| Some(b) == r.bucket.as_deref())
            && self.body.is_none_or(|t| r.body.contains(t))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fault {
    /// The service's own throttling error (RequestLimitExceeded, ThrottlingException, SlowDown).
    Throttle,
    /// HTTP 500 or 503 with the service's error body.
    Status(u16),
    /// The service's access-denied error.
    AccessDenied,
    /// The connection is reset (RST) before any response.
    ResetBeforeResponse,
    /// The status line, headers and part of the body are sent, then the connection is reset.
    ResetMidResponse,
    /// No answer for this long, then the real one (the client has usually given up).
    Delay(Duration),
    /// The real answer cut to this fraction of its body, with a matching Content-Length.
    Truncate(f64),
    /// HTTP 200 with a body that is neither XML nor JSON.
    Garbage,
}

/// How often a rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Times {
    Always,
    /// The first N matching requests, then never: a transient fault.
    First(u32),
    /// Every Nth matching request (5 is 20% of them), deterministically.
    EveryNth(u32),
}

#[derive(Debug)]
pub struct Rule {
    pub target: Target,
    pub fault: Fault,
    pub times: Times,
    hits: AtomicU32,
}

impl Rule {
    pub fn new(target: Target, fault: Fault, times: Times) -> Rule {
        Rule {
            target,
            fault,
            times,
            hits: AtomicU32::new(0),
        }
    }
    fn fires(&self) -> bool {
        match self.times {
            Times::Always => true,
            Times::First(n) => self.hits.fetch_add(1, Ordering::SeqCst) < n,
            Times::EveryNth(n) => {
                (self.hits.fetch_add(1, Ordering::SeqCst) + 1).is_multiple_of(n.max(1))
            }
        }
    }
}

/// What a request was, as the proxy understood it.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestInfo {
    pub service: String,
    pub region: String,
    pub action: String,
    pub bucket: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub request: RequestInfo,
    pub fault: Option<Fault>,
}

pub struct FaultProxy {
    pub port: u16,
    log: Arc<Mutex<Vec<Logged>>>,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicU32>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream_port` that applies `rules` (the first matching rule
    /// that fires decides).
    pub fn start(upstream_port: u16, rules: Vec<Rule>) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port for the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let rules = Arc::new(rules);
        let log = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicU32::new(0));
        {
            let (log, stop, connections) = (log.clone(), stop.clone(), connections.clone());
            thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    connections.fetch_add(1, Ordering::SeqCst);
                    let (rules, log) = (rules.clone(), log.clone());
                    thread::spawn(move || serve(stream, upstream_port, &rules, &log));
                }
            });
        }
        FaultProxy {
            port,
            log,
            stop,
            connections,
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().expect("proxy log").clone()
    }

    /// TCP connections accepted from flowaudit so far (each may carry many requests).
    pub fn connections(&self) -> u32 {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// One HTTP message read off a stream: the head's bytes and the body.
struct Message {
    head: Vec<u8>,
    body: Vec<u8>,
}

/// Reads one HTTP/1.1 request (Content-Length or chunked body). None at end of stream.
fn read_request(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Message> {
    let head_end = loop {
        if let Some(end) = find(pending, b"\r\n\r\n") {
            break end + 4;
        }
        let mut chunk = [0u8; 65536];
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
        }
    };
    let head: Vec<u8> = pending.drain(..head_end).collect();
    let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
    let length = header_value(&text, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let chunked = header_value(&text, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let body = if chunked {
        read_chunked(stream, pending)?
    } else {
        while pending.len() < length {
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
        }
        pending.drain(..length).collect()
    };
    Some(Message { head, body })
}

fn read_chunked(stream: &mut TcpStream, pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line_end = loop {
            if let Some(end) = find(pending, b"\r\n") {
                break end;
            }
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
        };
        let size_text = String::from_utf8_lossy(&pending[..line_end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        pending.drain(..line_end + 2);
        while pending.len() < size + 2 {
            let mut chunk = [0u8; 65536];
            match stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => pending.extend_from_slice(&chunk[..n]),
            }
        }
        if size == 0 {
            pending.drain(..2);
            return Some(body);
        }
        body.extend(pending.drain(..size));
        pending.drain(..2);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A header's value from a lower-cased head.
fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == name).then(|| value.trim())
    })
}

/// Service, region, action and bucket of a request.
fn identify(head: &[u8], body: &[u8]) -> RequestInfo {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    let _ = request.parse(head);
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).to_string())
    };
    // Credential=AKID/20261123/eu-west-1/ec2/aws4_request
    let scope: Vec<String> = header("authorization")
        .and_then(|a| {
            a.split("Credential=")
                .nth(1)
                .map(|c| c.split(',').next().unwrap_or("").to_string())
        })
        .map(|c| c.split('/').map(str::to_string).collect())
        .unwrap_or_default();
    let region = scope.get(2).cloned().unwrap_or_default();
    let service = scope.get(3).cloned().unwrap_or_default();
    let path = request.path.unwrap_or("/").to_string();
    let (path_only, query) = path.split_once('?').unwrap_or((&path, ""));
    let body_text = String::from_utf8_lossy(body);
    let action = if let Some(target) = header("x-amz-target") {
        target.rsplit('.').next().unwrap_or("").to_string()
    } else if let Some(action) = body_text
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action="))
    {
        action.to_string()
    } else {
        let sub = query
            .split('&')
            .next()
            .unwrap_or("")
            .split('=')
            .next()
            .unwrap_or("");
        match sub {
            "location" => "GetBucketLocation",
            "versioning" => "GetBucketVersioning",
            "lifecycle" => "GetBucketLifecycleConfiguration",
            "encryption" => "GetBucketEncryption",
            "publicAccessBlock" => "GetPublicAccessBlock",
            other => other,
        }
        .to_string()
    };
    let bucket = (service == "s3")
        .then(|| {
            path_only
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or("")
        })
        .filter(|b| !b.is_empty())
        .map(str::to_string);
    RequestInfo {
        service,
        region,
        action,
        bucket,
        body: body_text.into_owned(),
    }
}

/// The service's own error for a fault: status, content type and body.
fn error_answer(service: &str, fault: Fault) -> (u16, &'static str, String) {
    let (status, code, message) = match fault {
        Fault::Throttle => match service {
            "ec2" => (503, "RequestLimitExceeded", "Request limit exceeded."),
            "s3" => (503, "SlowDown", "Please reduce your request rate."),
            _ => (400, "ThrottlingException", "Rate exceeded"),
        },
        Fault::AccessDenied => match service {
            "ec2" => (
                403,
                "UnauthorizedOperation",
                "You are not authorized to perform this operation.",
            ),
            "logs" | "firehose" => (400, "AccessDeniedException", "User is not authorized"),
            _ => (403, "AccessDenied", "Access Denied"),
        },
        Fault::Status(500) => (500, "InternalError", "We encountered an internal error."),
        Fault::Status(status) => (status, "ServiceUnavailable", "Service is unavailable."),
        _ => (500, "InternalError", "unexpected fault"),
    };
    match service {
        "logs" | "firehose" => (
            status,
            "application/x-amz-json-1.1",
            format!(r#"{{"__type":"{code}","message":"{message}"}}"#),
        ),
        "ec2" => (
            status,
            "text/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors><RequestID>fault</RequestID></Response>"
            ),
        ),
        "s3" => (
            status,
            "application/xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>"
            ),
        ),
        _ => (
            status,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>"
            ),
        ),
    }
}

/// An answer's status and headers (Content-Length and framing headers excluded).
type Head = (u16, Vec<(String, String)>);

fn head_text(head: &Head, length: usize) -> String {
    let (status, headers) = head;
    let mut text = format!(
        "HTTP/1.1 {status} {}\r\n",
        if *status < 300 { "OK" } else { "Error" }
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {length}\r\n\r\n"));
    text
}

fn write_answer(stream: &mut TcpStream, head: &Head, body: &[u8]) -> bool {
    stream
        .write_all(head_text(head, body.len()).as_bytes())
        .is_ok()
        && stream.write_all(body).is_ok()
}

fn simple_head(status: u16, content_type: &str) -> Head {
    (
        status,
        vec![("Content-Type".to_string(), content_type.to_string())],
    )
}

/// Resets the connection: SO_LINGER 0 makes close send RST instead of FIN.
fn reset(stream: TcpStream) {
    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    drop(stream);
}

/// Forwards a request to moto on a fresh connection and reads the whole answer.
fn forward(upstream_port: u16, request: &Message) -> Option<(Head, Vec<u8>)> {
    let mut upstream = TcpStream::connect(("127.0.0.1", upstream_port)).ok()?;
    upstream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    // One request per upstream connection: ask moto to close it after answering.
    let head = String::from_utf8_lossy(&request.head);
    let mut rewritten = String::new();
    for line in head.trim_end().split("\r\n") {
        if !line.to_ascii_lowercase().starts_with("connection:") {
            rewritten.push_str(line);
            rewritten.push_str("\r\n");
        }
    }
    rewritten.push_str("Connection: close\r\n\r\n");
    upstream.write_all(rewritten.as_bytes()).ok()?;
    upstream.write_all(&request.body).ok()?;
    let mut raw = Vec::new();
    upstream.read_to_end(&mut raw).ok()?;
    let head_end = find(&raw, b"\r\n\r\n")? + 4;
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(&raw[..head_end]).ok()?;
    let status = response.code?;
    let header = |name: &str| {
        response
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).to_string())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
    let kept: Vec<(String, String)> = response
        .headers
        .iter()
        .filter(|h| {
            !["content-length", "transfer-encoding", "connection"]
                .contains(&h.name.to_ascii_lowercase().as_str())
        })
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).to_string(),
            )
        })
        .collect();
    let rest = raw[head_end..].to_vec();
    let body = if chunked {
        decode_chunked(&rest)?
    } else {
        match header("content-length").and_then(|v| v.parse::<usize>().ok()) {
            Some(n) => rest.get(..n)?.to_vec(),
            None => rest,
        }
    };
    Some(((status, kept), body))
}

fn decode_chunked(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let end = find(data, b"\r\n")?;
        let size_text = String::from_utf8_lossy(&data[..end]).to_string();
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        data = &data[end + 2..];
        if size == 0 {
            return Some(body);
        }
        body.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

fn serve(mut stream: TcpStream, upstream_port: u16, rules: &[Rule], log: &Mutex<Vec<Logged>>) {
    let mut pending = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut pending) {
        let info = identify(&request.head, &request.body);
        let fault = rules
            .iter()
            .find(|r| r.target.matches(&info) && r.fires())
            .map(|r| r.fault);
        log.lock().expect("proxy log").push(Logged {
            request: info.clone(),
            fault,
        });
        match fault {
            Some(f @ (Fault::Throttle | Fault::Status(_) | Fault::AccessDenied)) => {
                let (status, content_type, body) = error_answer(&info.service, f);
                if !write_answer(
                    &mut stream,
                    &simple_head(status, content_type),
                    body.as_bytes(),
                ) {
                    return;
                }
            }
            Some(Fault::ResetBeforeResponse) => return reset(stream),
            Some(Fault::Garbage) => {
                let body = b"upstream connect error or disconnect/reset before headers";
                if !write_answer(&mut stream, &simple_head(200, "text/plain"), body) {
                    return;
                }
            }
            Some(Fault::ResetMidResponse) => {
                if let Some((head, body)) = forward(upstream_port, &request) {
                    let _ = stream.write_all(head_text(&head, body.len()).as_bytes());
                    let _ = stream.write_all(&body[..body.len() / 2]);
                    let _ = stream.flush();
                }
                return reset(stream);
            }
            Some(Fault::Delay(d)) => {
                thread::sleep(d);
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Truncate(fraction)) => {
                let Some((head, body)) = forward(upstream_port, &request) else {
                    return reset(stream);
                };
                let keep = ((body.len() as f64) * fraction) as usize;
                if !write_answer(&mut stream, &head, &body[..keep]) {
                    return;
                }
            }
            None => {
                let Some((head, body)) = forward(upstream_port, &request) else {
                    return reset(stream);
                };
                if !write_answer(&mut stream, &head, &body) {
                    return;
                }
            }
        }
    }
}
