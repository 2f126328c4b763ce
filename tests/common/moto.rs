//! A real moto server for a test: started on an ephemeral 127.0.0.1 port, stopped on drop.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::Credentials;

pub struct Moto {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

fn moto_server_path() -> PathBuf {
    match std::env::var_os("FLOWAUDIT_MOTO_SERVER") {
        Some(p) => PathBuf::from(p),
        None => super::root().join(".venv/bin/moto_server"),
    }
}

impl Moto {
    pub fn start() -> Moto {
        let server = moto_server_path();
        assert!(
            server.exists(),
            "moto_server not found at {}. Run ./scripts/test, which installs moto[server]==5.1.22 into .venv, \
             or set FLOWAUDIT_MOTO_SERVER to a moto_server binary.",
            server.display()
        );
        // Ask the OS for a free port, then hand it to moto.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let dir = tempfile::tempdir().expect("temp dir for moto");
        let child = Command::new(&server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .current_dir(dir.path())
            .env("MOTO_RECORDER_FILEPATH", dir.path().join("recording.jsonl"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", server.display()));
        let moto = Moto {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while moto.try_request("GET", "/moto-api/data.json", "").is_none() {
            assert!(
                Instant::now() < deadline,
                "moto_server did not answer on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn try_request(&self, method: &str, path: &str, body: &str) -> Option<String> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .ok()?;
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.port,
            body.len()
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut response = String::new();
        stream.read_to_string(&mut response).ok()?;
        let (head, body) = response.split_once("\r\n\r\n")?;
        head.starts_with("HTTP/1.1 200").then(|| body.to_string())
    }

    /// A call to moto's own API (/moto-api/...), which must succeed.
    pub fn api(&self, method: &str, path: &str, body: &str) -> String {
        self.try_request(method, path, body)
            .unwrap_or_else(|| panic!("moto {method} {path} failed"))
    }

    /// Every request moto received since recording started, as (method, operation).
    pub fn recorded_operations(&self) -> Vec<(String, String)> {
        let text = self.api("GET", "/moto-api/recorder/download-recording", "");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let entry: serde_json::Value =
                    serde_json::from_str(l).expect("recording line is JSON");
                (
                    entry["method"].as_str().unwrap_or_default().to_string(),
                    operation(&entry),
                )
            })
            .collect()
    }

    pub async fn sdk_config(&self, region: &str, key: &str, secret: &str) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(key, secret, None, None, "test"))
            .load()
            .await
    }
}

impl Moto {
    /// An SDK configuration acting in `account` through `role`, assumed with test
    /// credentials: moto maps the assumed-role credentials to that account.
    pub async fn account_config(&self, account: &str, role: &str, region: &str) -> SdkConfig {
        let caller = self.sdk_config("us-east-1", "test", "test").await;
        let creds = aws_sdk_sts::Client::new(&caller)
            .assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/{role}"))
            .role_session_name("seed")
            .send()
            .await
            .expect("moto assumes any role")
            .credentials
            .expect("credentials");
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(Region::new(region.to_string()))
            .credentials_provider(Credentials::new(
                creds.access_key_id,
                creds.secret_access_key,
                Some(creds.session_token),
                None,
                "member",
            ))
            .load()
            .await
    }
}

/// Clock ticks per second of /proc's CPU times.
fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

/// User plus system CPU seconds from a /proc stat line, at `first` (utime, then stime,
/// or cutime then cstime), counted in fields after the command name.
pub fn proc_cpu_seconds(stat: &str, first: usize) -> f64 {
    // The command name is in parentheses and may hold spaces; fields follow the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (field(first) + field(first + 1)) / clock_ticks()
}

impl Moto {
    /// CPU seconds the moto server has used so far (Linux).
    pub fn cpu_seconds(&self) -> f64 {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // utime and stime are fields 14 and 15; after the name, 12 and 13 (0-based 11, 12).
        proc_cpu_seconds(&stat, 11)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The API operation of a recorded request: the query `Action` (EC2, STS, IAM), the JSON
/// target (CloudWatch Logs, Firehose), or for S3 the method and sub-resource.
fn operation(entry: &serde_json::Value) -> String {
    let headers = &entry["headers"];
    let header = |name: &str| {
        headers
            .as_object()
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .and_then(|(_, v)| v.as_str())
            .map(str::to_string)
    };
    if let Some(target) = header("X-Amz-Target") {
        return target.rsplit('.').next().unwrap_or_default().to_string();
    }
    let mut body = entry["body"].as_str().unwrap_or_default().to_string();
    if entry["body_encoded"] == true {
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .unwrap_or_default();
        body = String::from_utf8_lossy(&bytes).into_owned();
    }
    if let Some(action) = body.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_string();
    }
    let url = entry["url"].as_str().unwrap_or_default();
    if let Some(op) = url.split("/operation/").nth(1) {
        return op.to_string();
    }
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let sub = query
        .split('&')
        .next()
        .unwrap_or("")
        .split('=')
        .next()
        .unwrap_or("");
    format!("s3:{} ?{sub}", entry["method"].as_str().unwrap_or_default())
}

/// A VPC `10.{cidr}.0.0/16` with one subnet `10.{cidr}.1.0/24`; returns (vpc, subnet).
pub async fn vpc_with_subnet(ec2: &aws_sdk_ec2::Client, cidr: u8) -> (String, String) {
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("10.{cidr}.0.0/16"))
        .send()
        .await
        .expect("vpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block(format!("10.{cidr}.1.0/24"))
        .send()
        .await
        .expect("subnet")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("subnet id");
    (vpc, subnet)
}

/// A VPC with one subnet and one ENI; returns (vpc, eni).
pub async fn vpc_with_eni(ec2: &aws_sdk_ec2::Client, cidr: u8) -> (String, String) {
    let (vpc, subnet) = vpc_with_subnet(ec2, cidr).await;
    let eni = ec2
        .create_network_interface()
        .subnet_id(&subnet)
        .send()
        .await
        .expect("eni")
        .network_interface
        .and_then(|e| e.network_interface_id)
        .expect("eni id");
    (vpc, eni)
}

/// Creates a bucket in eu-west-1.
pub async fn create_eu_west_1_bucket(s3: &aws_sdk_s3::Client, name: &str) {
    s3.create_bucket()
        .bucket(name)
        .create_bucket_configuration(
            aws_sdk_s3::types::CreateBucketConfiguration::builder()
                .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                .build(),
        )
        .send()
        .await
        .expect("bucket");
}

/// An S3 client for moto (path-style addressing).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(config)
            .force_path_style(true)
            .build(),
    )
}

/// Seeds a CloudWatch Logs group that keeps its events `days` days.
pub async fn log_group_keeping(config: &SdkConfig, name: &str, days: i32) {
    let logs = aws_sdk_cloudwatchlogs::Client::new(config);
    logs.create_log_group()
        .log_group_name(name)
        .send()
        .await
        .expect("log group created");
    logs.put_retention_policy()
        .log_group_name(name)
        .retention_in_days(days)
        .send()
        .await
        .expect("retention set");
}
