//! `flowaudit-fake-aws`: the organisation benchmark's AWS endpoint (scripts/bench-org).
//!
//! moto renders every answer in one Python process, so at a thousand accounts the benchmark
//! would measure moto. This endpoint answers the calls a scan makes from templates in the
//! shapes moto returns, for an organisation of N accounts that each hold the same estate in
//! every region (see [`estate`]), with AWS-like behaviour where it shapes a run's cost:
//!
//! - every answer waits a latency drawn between `--min-latency-ms` and `--max-latency-ms`;
//! - calls are rate limited by token buckets per (account, region, API family) at AWS's
//!   documented rates, and a call over the limit gets the service's real throttling error;
//! - credentials from `AssumeRole` act in the role's account: the account of each call is
//!   read from the access key in its SigV4 `Authorization` header.
//!
//! `GET /fake-aws/stats` answers what was served (requests by operation, retries as the
//! SDK's `amz-sdk-request` header counts them, throttles, AssumeRole calls) since it
//! started. `--ground-truth` prints the failing findings the
//! estate must produce under `policies/baseline.yaml`, for the benchmark to compare.
//!
//! Built only with the `fake-aws` feature; not part of the product.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;

mod answers;
mod estate;

#[derive(Parser)]
#[command(
    name = "flowaudit-fake-aws",
    about = "The organisation benchmark's fake AWS endpoint"
)]
struct Args {
    /// Accounts in the organisation, the management account (100000000000) included.
    #[arg(long, default_value_t = 10)]
    accounts: usize,
    /// Loopback port to listen on; 0 picks one, printed on the first line of stdout.
    #[arg(long, default_value_t = 0)]
    port: u16,
    #[arg(long, default_value_t = 30)]
    min_latency_ms: u64,
    #[arg(long, default_value_t = 120)]
    max_latency_ms: u64,
    /// Print the failing findings a baseline scan of these regions must report, one JSON
    /// array of [rule, account, region, resource], and exit.
    #[arg(long, value_name = "REGIONS", value_delimiter = ',')]
    ground_truth: Option<Vec<String>>,
}

/// API families AWS rate limits separately, with their bucket size and refill per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Family {
    /// EC2's non-mutating actions share one bucket: 100 tokens, 20 a second.
    Ec2Describe,
    /// CloudWatch Logs DescribeLogGroups: 5 a second.
    LogsDescribe,
    /// STS: 600 requests a second per account.
    Sts,
    /// Organizations: a few a second; its limits are not published per API.
    Organizations,
    /// S3: 5,500 GET a second per prefix; never reached here.
    S3,
}

impl Family {
    fn limits(self) -> (f64, f64) {
        match self {
            Family::Ec2Describe => (100.0, 20.0),
            Family::LogsDescribe => (5.0, 5.0),
            Family::Sts => (600.0, 600.0),
            Family::Organizations => (20.0, 10.0),
            Family::S3 => (5500.0, 5500.0),
        }
    }
}

struct TokenBucket {
    tokens: f64,
    at: Instant,
}

#[derive(Default)]
struct Stats {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    by_operation: Mutex<BTreeMap<String, u64>>,
}

struct Server {
    accounts: usize,
    latency: (u64, u64),
    buckets: Mutex<HashMap<(String, String, Family), TokenBucket>>,
    stats: Stats,
    seq: AtomicU64,
}

impl Server {
    /// Takes a token from the call's bucket, or says it is throttled.
    fn admit(&self, account: &str, region: &str, family: Family) -> bool {
        let (size, rate) = family.limits();
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let b = buckets
            .entry((account.to_string(), region.to_string(), family))
            .or_insert(TokenBucket {
                tokens: size,
                at: now,
            });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * rate).min(size);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// A latency between the bounds, from a splitmix64 sequence (reproducible run to run).
    fn latency(&self) -> Duration {
        let mut z = self
            .seq
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed)
            .wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let (lo, hi) = self.latency;
        Duration::from_millis(lo + z % (hi.saturating_sub(lo) + 1))
    }

    fn count(&self, operation: &str) {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let mut ops = self
            .stats
            .by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        *ops.entry(operation.to_string()).or_default() += 1;
    }

    fn stats_json(&self) -> String {
        let ops = self
            .stats
            .by_operation
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        serde_json::json!({
            "requests": self.stats.requests.load(Ordering::Relaxed),
            "retries": self.stats.retries.load(Ordering::Relaxed),
            "throttled": self.stats.throttled.load(Ordering::Relaxed),
            "by_operation": &*ops,
        })
        .to_string()
    }
}

/// One HTTP request, as far as the endpoint needs it.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// (access key, region, service) from the SigV4 credential scope.
    fn scope(&self) -> Option<(&str, &str, &str)> {
        let auth = self.header("authorization")?;
        let credential = auth.split("Credential=").nth(1)?.split(',').next()?;
        let mut parts = credential.split('/');
        let key = parts.next()?;
        let _date = parts.next()?;
        Some((key, parts.next()?, parts.next()?))
    }

    /// A form parameter of a query-protocol body (EC2, STS).
    fn form(&self, name: &str) -> Option<String> {
        self.body.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => out.push(b),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one request from a keep-alive connection; None at its end.
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = Vec::new();
        if reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let end = line == b"\r\n" || line == b"\n";
        head.extend_from_slice(&line);
        if end {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    if !matches!(parsed.parse(&head), Ok(httparse::Status::Complete(_))) {
        return None;
    }
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut request = Request {
        method: parsed.method?.to_string(),
        path: parsed.path?.to_string(),
        headers,
        body: String::new(),
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    request.body = String::from_utf8_lossy(&body).into_owned();
    Some(request)
}

struct Response {
    status: u16,
    content_type: &'static str,
    body: String,
}

fn xml(body: String) -> Response {
    Response {
        status: 200,
        content_type: "text/xml",
        body,
    }
}

fn json(body: String) -> Response {
    Response {
        status: 200,
        content_type: "application/x-amz-json-1.1",
        body,
    }
}

fn not_found(what: &str) -> Response {
    Response {
        status: 400,
        content_type: "text/xml",
        body: format!(
            "<Response><Errors><Error><Code>InvalidAction</Code><Message>the fake does not answer {what}</Message></Error></Errors><RequestID>fake</RequestID></Response>"
        ),
    }
}

/// The throttling error each service really sends.
fn throttled(service: &str) -> Response {
    match service {
        "ec2" => Response {
            status: 503,
            content_type: "text/xml",
            body: "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>fake</RequestID></Response>".to_string(),
        },
        "logs" => Response {
            status: 400,
            content_type: "application/x-amz-json-1.1",
            body: r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.to_string(),
        },
        "organizations" => Response {
            status: 400,
            content_type: "application/x-amz-json-1.1",
            body: r#"{"__type":"TooManyRequestsException","Message":"AWS Organizations can't complete your request because another request is already in progress. Try again later."}"#.to_string(),
        },
        "s3" => Response {
            status: 503,
            content_type: "application/xml",
            body: "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>fake</RequestId></Error>".to_string(),
        },
        _ => Response {
            status: 400,
            content_type: "text/xml",
            body: "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>fake</RequestId></ErrorResponse>".to_string(),
        },
    }
}

/// The account a call acts in: `ASIA` + the account id for assumed roles, anything else
/// is the management account.
fn account_of(key: &str) -> String {
    match key.strip_prefix("ASIA") {
        Some(id) if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) => id.to_string(),
        _ => estate::account_id(0),
    }
}

/// The attempt number in the SDK's `amz-sdk-request: attempt=N; max=M` header.
fn sdk_attempt(value: &str) -> Option<u32> {
    value
        .split(';')
        .find_map(|part| part.trim().strip_prefix("attempt="))
        .and_then(|n| n.parse().ok())
}

fn handle(server: &Server, request: &Request) -> Response {
    if request.path.starts_with("/fake-aws/") {
        return match (request.method.as_str(), request.path.as_str()) {
            ("GET", "/fake-aws/stats") => Response {
                status: 200,
                content_type: "application/json",
                body: server.stats_json(),
            },
            _ => not_found(&request.path),
        };
    }
    let Some((key, region, service)) = request.scope() else {
        return not_found("an unsigned request");
    };
    let account = account_of(key);
    if request
        .header("amz-sdk-request")
        .and_then(sdk_attempt)
        .is_some_and(|attempt| attempt > 1)
    {
        server.stats.retries.fetch_add(1, Ordering::Relaxed);
    }
    let (operation, family) = match service {
        "ec2" | "sts" => {
            let action = request.form("Action").unwrap_or_default();
            let family = if service == "ec2" {
                Family::Ec2Describe
            } else {
                Family::Sts
            };
            (action, family)
        }
        "logs" | "organizations" | "firehose" => {
            let target = request.header("x-amz-target").unwrap_or_default();
            let action = target.rsplit('.').next().unwrap_or_default().to_string();
            let family = if service == "logs" {
                Family::LogsDescribe
            } else {
                Family::Organizations
            };
            (action, family)
        }
        "s3" => (s3_operation(&request.path), Family::S3),
        other => return not_found(other),
    };
    server.count(&operation);
    // STS and Organizations limits are per calling account, whatever the region.
    let limit_region = match family {
        Family::Sts | Family::Organizations | Family::S3 => "global",
        _ => region,
    };
    if !server.admit(&account, limit_region, family) {
        server.stats.throttled.fetch_add(1, Ordering::Relaxed);
        return throttled(service);
    }
    match operation.as_str() {
        "GetCallerIdentity" => xml(answers::caller_identity(&account)),
        "AssumeRole" => {
            let arn = request.form("RoleArn").unwrap_or_default();
            let target = arn.split(':').nth(4).unwrap_or_default().to_string();
            match estate::account_index(&target) {
                Some(i) if i < server.accounts => xml(answers::assume_role(
                    &target,
                    &request.form("RoleSessionName").unwrap_or_default(),
                )),
                _ => Response {
                    status: 403,
                    content_type: "text/xml",
                    body: format!(
                        "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole on {arn}</Message></Error><RequestId>fake</RequestId></ErrorResponse>"
                    ),
                },
            }
        }
        "ListAccounts" => {
            let token = serde_json::from_str::<serde_json::Value>(&request.body)
                .ok()
                .and_then(|v| v["NextToken"].as_str().and_then(|t| t.parse().ok()))
                .unwrap_or(0);
            json(answers::list_accounts(server.accounts, token))
        }
        "DescribeVpcs" => xml(answers::vpcs(&account)),
        "DescribeSubnets" => xml(answers::subnets(&account, region)),
        "DescribeNetworkInterfaces" => xml(answers::network_interfaces(&account, region)),
        "DescribeFlowLogs" => xml(answers::flow_logs(&account, region)),
        "DescribeTransitGateways" => xml(answers::empty_ec2(
            "DescribeTransitGateways",
            "transitGatewaySet",
        )),
        "DescribeLogGroups" => json(answers::log_groups(&account, region)),
        "ListBuckets" => xml(answers::list_buckets(&account)),
        "GetBucketLocation" => xml(answers::s3_doc("LocationConstraint", "")),
        "GetBucketVersioning" => xml(answers::s3_doc("VersioningConfiguration", "")),
        "GetBucketLifecycleConfiguration" => xml(answers::lifecycle(&request.path)),
        "GetBucketEncryption" => xml(answers::s3_doc(
            "ServerSideEncryptionConfiguration",
            "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule>",
        )),
        "GetPublicAccessBlock" => xml(answers::s3_doc(
            "PublicAccessBlockConfiguration",
            "<BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>true</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets>",
        )),
        other => not_found(other),
    }
}

/// The S3 operation of a path-style request, by its sub-resource.
fn s3_operation(path: &str) -> String {
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or("");
    let bucket = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let op = if bucket.is_empty() {
        "ListBuckets"
    } else if query.starts_with("location") {
        "GetBucketLocation"
    } else if query.starts_with("versioning") {
        "GetBucketVersioning"
    } else if query.starts_with("lifecycle") {
        "GetBucketLifecycleConfiguration"
    } else if query.starts_with("encryption") {
        "GetBucketEncryption"
    } else if query.starts_with("publicAccessBlock") {
        "GetPublicAccessBlock"
    } else {
        "UnknownS3"
    };
    op.to_string()
}

fn write_response(stream: &mut TcpStream, response: &Response) -> std::io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        _ => "Service Unavailable",
    };
    let head = format!(
        "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nx-amzn-RequestId: fake\r\n\r\n",
        response.status,
        response.content_type,
        response.body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(response.body.as_bytes())?;
    stream.flush()
}

fn serve(server: Arc<Server>, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    while let Some(request) = read_request(&mut reader) {
        let started = Instant::now();
        let response = handle(&server, &request);
        if !request.path.starts_with("/fake-aws/") {
            let wait = server.latency().saturating_sub(started.elapsed());
            std::thread::sleep(wait);
        }
        if write_response(&mut writer, &response).is_err() {
            return;
        }
    }
}

/// The failing findings a baseline scan of `regions` must report: the `shared` VPC's
/// uncovered ENIs (COV003, one finding per VPC), a log group kept forever (CWL001), and a
/// flow-log prefix expired before 90 days (S3L002, one per source account and region).
fn ground_truth(accounts: usize, regions: &[String]) -> serde_json::Value {
    let mut out = Vec::new();
    for i in 0..accounts {
        let account = estate::account_id(i);
        for region in regions {
            out.push(serde_json::json!([
                "COV003",
                account,
                region,
                estate::vpc_id(1)
            ]));
            if estate::keeps_log_group_forever(i) {
                out.push(serde_json::json!([
                    "CWL001",
                    account,
                    region,
                    estate::LOG_GROUP
                ]));
            }
            if estate::expires_bucket_early(i) {
                let prefix = format!(
                    "{}/AWSLogs/{account}/vpcflowlogs/{region}/",
                    estate::bucket(&account)
                );
                out.push(serde_json::json!(["S3L002", account, region, prefix]));
            }
        }
    }
    serde_json::Value::Array(out)
}

fn main() {
    let args = Args::parse();
    if let Some(regions) = &args.ground_truth {
        println!("{}", ground_truth(args.accounts, regions));
        return;
    }
    let listener = match TcpListener::bind(("127.0.0.1", args.port)) {
        Ok(l) => l,
        Err(e) => {
            eprintln!(
                "flowaudit-fake-aws: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            std::process::exit(2);
        }
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or(args.port);
    println!("{port}");
    let _ = std::io::stdout().flush();
    let server = Arc::new(Server {
        accounts: args.accounts,
        latency: (
            args.min_latency_ms,
            args.max_latency_ms.max(args.min_latency_ms),
        ),
        buckets: Mutex::new(HashMap::new()),
        stats: Stats::default(),
        seq: AtomicU64::new(0),
    });
    for stream in listener.incoming().flatten() {
        let server = server.clone();
        std::thread::spawn(move || serve(server, stream));
    }
}

#[cfg(test)]
mod tests {
    use super::sdk_attempt;

    #[test]
    fn the_attempt_is_read_from_the_sdk_header() {
        assert_eq!(sdk_attempt("attempt=1; max=5"), Some(1));
        assert_eq!(sdk_attempt("attempt=12; max=20"), Some(12));
        assert_eq!(sdk_attempt("max=5; attempt=2"), Some(2));
        assert_eq!(
            sdk_attempt("ttl=20261201T000000Z; attempt=3; max=5"),
            Some(3)
        );
        assert_eq!(sdk_attempt("nonsense"), None);
    }
}
