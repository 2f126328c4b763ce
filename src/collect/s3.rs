//! S3: the bucket-level settings retention depends on, for each destination bucket once.
//!
//! Answers that mean "not configured" (NoSuchLifecycleConfiguration,
//! NoSuchPublicAccessBlockConfiguration, ServerSideEncryptionConfigurationNotFoundError)
//! are data, recorded as empty settings. NoSuchBucket means the bucket is gone. Anything
//! else, AccessDenied on another account's bucket above all, is a collection error and
//! leaves the setting unknown.

use aws_sdk_s3::types as s3;

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};

use super::attempts::{Attempts, observed};
use super::clients::ClientSource;
use super::errors::{self, Call};
use crate::snapshot::{
    Bucket, BucketEncryption, BucketLifecycle, BucketVersioning, CollectionError, EncryptionRule,
    LifecycleExpiration, LifecycleFilter, LifecycleFilterAnd, LifecycleRule,
    NoncurrentVersionExpiration, PublicAccessBlock, Tag, Transition,
};

fn date(d: Option<&aws_sdk_s3::primitives::DateTime>) -> Option<String> {
    d.and_then(|d| d.fmt(aws_sdk_s3::primitives::DateTimeFormat::DateTime).ok())
}

fn tag(t: &s3::Tag) -> Tag {
    Tag {
        key: t.key().to_string(),
        value: t.value().to_string(),
    }
}

fn lifecycle_rule(r: &s3::LifecycleRule) -> LifecycleRule {
    LifecycleRule {
        id: r.id().map(str::to_string),
        status: r.status().as_str().to_string(),
        filter: r.filter().map(|f| LifecycleFilter {
            prefix: f.prefix().map(str::to_string),
            tag: f.tag().map(tag),
            object_size_greater_than: f.object_size_greater_than(),
            object_size_less_than: f.object_size_less_than(),
            and: f.and().map(|a| LifecycleFilterAnd {
                prefix: a.prefix().map(str::to_string),
                tags: a.tags().iter().map(tag).collect(),
                object_size_greater_than: a.object_size_greater_than(),
                object_size_less_than: a.object_size_less_than(),
            }),
        }),
        #[allow(deprecated)] // the legacy top-level prefix is still returned by some buckets
        prefix: r.prefix().map(str::to_string),
        expiration: r.expiration().map(|e| LifecycleExpiration {
            days: e.days(),
            date: date(e.date()),
            expired_object_delete_marker: e.expired_object_delete_marker(),
        }),
        transitions: r
            .transitions()
            .iter()
            .map(|t| Transition {
                days: t.days(),
                date: date(t.date()),
                storage_class: t.storage_class().map(|c| c.as_str().to_string()).unwrap_or_default(),
            })
            .collect(),
        noncurrent_version_expiration: r.noncurrent_version_expiration().map(|n| NoncurrentVersionExpiration {
            noncurrent_days: n.noncurrent_days(),
            newer_noncurrent_versions: n.newer_noncurrent_versions(),
        }),
    }
}

/// The buckets an account owns (ListBuckets), to tell a central bucket's owner. A failure
/// only leaves the owner unknown (the bucket is then read through the accounts that deliver
/// to it), so it is logged, not recorded as a collection error.
pub async fn owned_buckets(
    clients: &dyn ClientSource,
    home_region: &str,
    account_id: &str,
) -> Vec<String> {
    let (answer, attempts) = observed(clients.s3(home_region).list_buckets().send()).await;
    match answer {
        Ok(out) => out
            .buckets()
            .iter()
            .filter_map(|b| b.name().map(str::to_string))
            .collect(),
        Err(e) => {
            let (code, message) = errors::describe(&e, &attempts);
            tracing::warn!(
                account = account_id,
                "ListBuckets failed ({code}: {message}); bucket owners in this account stay unknown"
            );
            Vec::new()
        }
    }
}

/// A bucket of which nothing could be read yet.
pub fn unread(name: &str) -> Bucket {
    Bucket {
        name: name.to_string(),
        exists: None,
        owner_account_id: None,
        region: None,
        versioning: None,
        lifecycle: None,
        encryption: None,
        public_access_block: None,
    }
}

/// What one bucket inspection produced.
pub struct BucketOutcome {
    pub bucket: Bucket,
    pub errors: Vec<CollectionError>,
    pub requests: usize,
}

/// Inspects one bucket with at most five calls. `account_id` is the scanning account, under
/// which any failure is recorded.
pub async fn inspect(
    clients: &dyn ClientSource,
    home_region: &str,
    account_id: &str,
    name: &str,
) -> BucketOutcome {
    let mut out = BucketOutcome {
        bucket: unread(name),
        errors: Vec::new(),
        requests: 0,
    };
    let call = |operation| Call {
        account_id,
        region: "global",
        service: "s3",
        operation,
        resource_id: Some(name),
    };
    let mut any_answer = false;

    // GetBucketLocation answers for any region's bucket, so it is asked from us-east-1.
    out.requests += 1;
    let s3_home = clients.s3("us-east-1");
    let (answer, attempts) = observed(s3_home.get_bucket_location().bucket(name).send()).await;
    match answer {
        Ok(resp) => {
            any_answer = true;
            out.bucket.region = Some(match resp.location_constraint().map(|c| c.as_str()) {
                None | Some("") => "us-east-1".to_string(),
                Some("EU") => "eu-west-1".to_string(),
                Some(other) => other.to_string(),
            });
        }
        Err(e) if errors::code(&e) == Some("NoSuchBucket") => {
            out.bucket.exists = Some(false);
            return out;
        }
        Err(e) => {
            if record_failure(&mut out, call("GetBucketLocation"), &e, &attempts) {
                return finish(out, any_answer);
            }
        }
    }
    let client = clients.s3(out.bucket.region.as_deref().unwrap_or(home_region));

    out.requests += 1;
    let (answer, attempts) = observed(client.get_bucket_versioning().bucket(name).send()).await;
    match answer {
        Ok(resp) => {
            any_answer = true;
            out.bucket.versioning = Some(BucketVersioning {
                status: resp.status().map(|s| s.as_str().to_string()),
                mfa_delete: resp.mfa_delete().map(|s| s.as_str().to_string()),
            });
        }
        Err(e) if errors::code(&e) == Some("NoSuchBucket") => {
            out.bucket.exists = Some(false);
            return out;
        }
        Err(e) => {
            if record_failure(&mut out, call("GetBucketVersioning"), &e, &attempts) {
                return finish(out, any_answer);
            }
        }
    }

    out.requests += 1;
    let (answer, attempts) = observed(
        client
            .get_bucket_lifecycle_configuration()
            .bucket(name)
            .send(),
    )
    .await;
    match answer {
        Ok(resp) => {
            any_answer = true;
            out.bucket.lifecycle = Some(BucketLifecycle {
                rules: resp.rules().iter().map(lifecycle_rule).collect(),
                transition_default_minimum_object_size: resp
                    .transition_default_minimum_object_size()
                    .map(|m| m.as_str().to_string()),
            });
        }
        Err(e) if errors::code(&e) == Some("NoSuchLifecycleConfiguration") => {
            any_answer = true;
            out.bucket.lifecycle = Some(BucketLifecycle {
                rules: Vec::new(),
                transition_default_minimum_object_size: None,
            });
        }
        Err(e) => {
            if record_failure(
                &mut out,
                call("GetBucketLifecycleConfiguration"),
                &e,
                &attempts,
            ) {
                return finish(out, any_answer);
            }
        }
    }

    out.requests += 1;
    let (answer, attempts) = observed(client.get_bucket_encryption().bucket(name).send()).await;
    match answer {
        Ok(resp) => {
            any_answer = true;
            let rules = resp
                .server_side_encryption_configuration()
                .map(|c| c.rules())
                .unwrap_or_default();
            out.bucket.encryption = Some(BucketEncryption {
                rules: rules
                    .iter()
                    .filter_map(|r| {
                        r.apply_server_side_encryption_by_default()
                            .map(|d| EncryptionRule {
                                sse_algorithm: d.sse_algorithm().as_str().to_string(),
                                kms_master_key_id: d.kms_master_key_id().map(str::to_string),
                                bucket_key_enabled: r.bucket_key_enabled(),
                            })
                    })
                    .collect(),
            });
        }
        Err(e) if errors::code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => {
            any_answer = true;
            out.bucket.encryption = Some(BucketEncryption { rules: Vec::new() });
        }
        Err(e) => {
            if record_failure(&mut out, call("GetBucketEncryption"), &e, &attempts) {
                return finish(out, any_answer);
            }
        }
    }

    out.requests += 1;
    let (answer, attempts) = observed(client.get_public_access_block().bucket(name).send()).await;
    match answer {
        Ok(resp) => {
            any_answer = true;
            let c = resp.public_access_block_configuration();
            out.bucket.public_access_block = Some(PublicAccessBlock {
                block_public_acls: c.and_then(|c| c.block_public_acls()).unwrap_or(false),
                ignore_public_acls: c.and_then(|c| c.ignore_public_acls()).unwrap_or(false),
                block_public_policy: c.and_then(|c| c.block_public_policy()).unwrap_or(false),
                restrict_public_buckets: c
                    .and_then(|c| c.restrict_public_buckets())
                    .unwrap_or(false),
            });
        }
        Err(e) if errors::code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => {
            any_answer = true;
            out.bucket.public_access_block = Some(PublicAccessBlock::default());
        }
        Err(e) => {
            if record_failure(&mut out, call("GetPublicAccessBlock"), &e, &attempts) {
                return finish(out, any_answer);
            }
        }
    }

    finish(out, any_answer)
}

/// A bucket that answered any call exists.
fn finish(mut out: BucketOutcome, any_answer: bool) -> BucketOutcome {
    if any_answer {
        out.bucket.exists = Some(true);
    }
    out
}

/// Records a failed call. True when the endpoint did not answer at all: the bucket's
/// remaining calls would only wait through their own retries to fail the same way, so
/// they are not made (the settings they would read stay unknown).
fn record_failure<E, R>(
    out: &mut BucketOutcome,
    call: Call<'_>,
    e: &SdkError<E, R>,
    attempts: &Attempts,
) -> bool
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let mut error = call.failed(e, attempts);
    let unreachable = errors::unreachable(e);
    if unreachable {
        error.message = format!(
            "{}; the bucket's endpoint did not answer, so its other settings were not asked",
            error.message
        );
    }
    out.errors.push(error);
    unreachable
}
