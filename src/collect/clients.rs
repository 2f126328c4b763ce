//! Where the collector gets its AWS clients: from aws-config's default chain, or (in tests)
//! from anything else that implements [`ClientSource`].

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};

use super::attempts::{AttemptLog, CompleteXml, IncompleteIsTransient};

/// The clients for one region.
pub struct RegionClients {
    pub ec2: aws_sdk_ec2::Client,
    pub logs: aws_sdk_cloudwatchlogs::Client,
    pub firehose: aws_sdk_firehose::Client,
    /// CloudWatch Observability Admin, for telemetry rules.
    pub telemetry: aws_sdk_observabilityadmin::Client,
}

pub trait ClientSource: Send + Sync {
    fn region(&self, region: &str) -> RegionClients;
    /// An S3 client that talks to `region`.
    fn s3(&self, region: &str) -> aws_sdk_s3::Client;
    /// An STS client that talks to `region`.
    fn sts(&self, region: &str) -> aws_sdk_sts::Client;
    /// The region of the loaded configuration, if any.
    fn default_region(&self) -> Option<String>;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryMode {
    Standard,
    Adaptive,
}

/// How the SDK is configured for a scan.
#[derive(Debug, Clone)]
pub struct SdkOptions {
    pub profile: Option<String>,
    pub retry_mode: RetryMode,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// Limit for one call, retries included.
    pub operation_timeout: Duration,
}

/// Clients built from aws-config: environment, profiles, SSO, web identity, container and
/// instance roles, and `AWS_ENDPOINT_URL` for local endpoints such as moto or LocalStack.
pub struct SdkClients {
    config: SdkConfig,
}

impl SdkClients {
    pub async fn load(options: &SdkOptions) -> SdkClients {
        let retry = match options.retry_mode {
            RetryMode::Standard => RetryConfig::standard(),
            RetryMode::Adaptive => RetryConfig::adaptive(),
        }
        .with_max_attempts(options.max_attempts.max(1));
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(shared_http_client())
            .retry_config(retry)
            .timeout_config(
                TimeoutConfig::builder()
                    .operation_timeout(options.operation_timeout)
                    .build(),
            );
        if let Some(profile) = &options.profile {
            loader = loader.profile_name(profile);
        }
        SdkClients {
            config: loader.load().await,
        }
    }

    /// The loaded configuration.
    pub fn config(&self) -> &SdkConfig {
        &self.config
    }

    /// Clients from an already loaded configuration.
    pub fn from_config(config: SdkConfig) -> SdkClients {
        SdkClients { config }
    }

    /// A Security Hub client for `region`, for `flowaudit publish security-hub`.
    pub fn security_hub(&self, region: &str) -> aws_sdk_securityhub::Client {
        aws_sdk_securityhub::Client::from_conf(
            aws_sdk_securityhub::config::Builder::from(&self.config)
                .region(Region::new(region.to_string()))
                .interceptor(AttemptLog)
                .build(),
        )
    }

    /// An AWS Organizations client. Organizations is a global service answered from
    /// us-east-1.
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::from_conf(
            aws_sdk_organizations::config::Builder::from(&self.config)
                .region(Region::new("us-east-1"))
                .interceptor(AttemptLog)
                .build(),
        )
    }

    /// Clients that act in another account through `role_arn`. The credentials come from
    /// sts:AssumeRole with this configuration's own credentials, and are refreshed before
    /// they expire, so a run may outlast the role's session duration.
    ///
    /// Every client of the account (each region's, each service's) shares one identity
    /// cache of its own, so that the role is assumed once per account and credential
    /// lifetime, and concurrent misses wait on the one fetch. Inheriting the caller's cache
    /// would put every account in one cache, whose 64 partitions evict accounts still in
    /// use past 64 of them, each eviction one more AssumeRole.
    pub async fn assume_role(
        &self,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
    ) -> SdkClients {
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(role_arn)
            .session_name(session_name)
            .configure(&self.config);
        if let Some(id) = external_id {
            provider = provider.external_id(id);
        }
        let provider = provider.build().await;
        SdkClients {
            config: self
                .config
                .to_builder()
                .credentials_provider(aws_sdk_sts::config::SharedCredentialsProvider::new(
                    provider,
                ))
                .identity_cache(aws_config::identity::IdentityCache::lazy().build())
                .build(),
        }
    }
}

/// One HTTP client for every client of a run, so that its connections are reused across
/// accounts, regions and services. Without it the SDK builds a new client, with a pool of
/// its own, for every service client (aws-smithy-runtime's `default_https_client`), and a
/// run opens about a connection for every two requests. Built as that function builds it:
/// rustls with aws-lc, the proxy from the environment, and each operation's connector
/// settings (timeouts) and sleep.
fn shared_http_client() -> aws_sdk_sts::config::SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    use aws_smithy_http_client::{Builder, ConnectorBuilder};
    Builder::new().build_with_connector_fn(|settings, runtime_components| {
        // Called without settings only when a service client is built, to load the native
        // certificates early (`validate_base_client_config`); that connector is dropped
        // unused. Building a TLS configuration there parsed every root certificate again
        // for every client, four clients per account and region: a quarter of a 400-pair
        // run's CPU (docs/benchmarks.md). The certificates are loaded once anyway, on the
        // first real connector.
        if settings.is_none() && runtime_components.is_none() {
            return ConnectorBuilder::default().build_http();
        }
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

// Every client logs its attempts (AttemptLog); the XML services (EC2, S3, STS) also
// refuse incomplete documents and retry them (CompleteXml, IncompleteIsTransient). JSON
// services need no such check: their decoder already fails on a cut document.
impl ClientSource for SdkClients {
    fn region(&self, region: &str) -> RegionClients {
        let region = Region::new(region.to_string());
        RegionClients {
            ec2: aws_sdk_ec2::Client::from_conf(
                aws_sdk_ec2::config::Builder::from(&self.config)
                    .region(region.clone())
                    .interceptor(AttemptLog)
                    .interceptor(CompleteXml)
                    .retry_classifier(IncompleteIsTransient)
                    .build(),
            ),
            logs: aws_sdk_cloudwatchlogs::Client::from_conf(
                aws_sdk_cloudwatchlogs::config::Builder::from(&self.config)
                    .region(region.clone())
                    .interceptor(AttemptLog)
                    .build(),
            ),
            firehose: aws_sdk_firehose::Client::from_conf(
                aws_sdk_firehose::config::Builder::from(&self.config)
                    .region(region.clone())
                    .interceptor(AttemptLog)
                    .build(),
            ),
            telemetry: aws_sdk_observabilityadmin::Client::from_conf(
                aws_sdk_observabilityadmin::config::Builder::from(&self.config)
                    .region(region)
                    .interceptor(AttemptLog)
                    .build(),
            ),
        }
    }

    fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        // A local endpoint (moto, LocalStack) cannot serve virtual-hosted bucket names.
        let path_style = self.config.endpoint_url().is_some();
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&self.config)
                .region(Region::new(region.to_string()))
                .force_path_style(path_style)
                .interceptor(AttemptLog)
                .interceptor(CompleteXml)
                .retry_classifier(IncompleteIsTransient)
                .build(),
        )
    }

    fn sts(&self, region: &str) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(
            aws_sdk_sts::config::Builder::from(&self.config)
                .region(Region::new(region.to_string()))
                .interceptor(AttemptLog)
                .interceptor(CompleteXml)
                .retry_classifier(IncompleteIsTransient)
                .build(),
        )
    }

    fn default_region(&self) -> Option<String> {
        self.config.region().map(|r| r.to_string())
    }
}
