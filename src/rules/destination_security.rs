//! Destination security: is the place flow logs are kept encrypted and closed to the public?

use serde_json::json;

use super::{Family, Rule, Verdict, destination_subject, judge_per_profile};
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState};

pub static BUCKET_NOT_ENCRYPTED: Rule = Rule {
    id: "SEC001",
    name: "flow-log-bucket-not-encrypted",
    category: Category::DestinationSecurity,
    default_severity: Severity::Medium,
    summary: "The flow-log bucket has no default encryption, or not the KMS encryption the policy requires.",
    what: "When the policy sets `s3.require_encryption`, checks that the bucket has a \
           default encryption rule; with `s3.require_kms`, that the rule uses aws:kms or \
           aws:kms:dsse.",
    why: "Every bucket has SSE-S3 since 2023, so a missing rule usually means data read \
          from an old snapshot or a bucket outside AWS's defaults. KMS adds a key policy \
          and CloudTrail records of every decryption, which audits of personal data often \
          require.",
    fix: "Set default encryption:\n  aws s3api put-bucket-encryption --bucket \
          central-flow-logs --server-side-encryption-configuration \
          '{\"Rules\":[{\"ApplyServerSideEncryptionByDefault\":{\"SSEAlgorithm\":\"aws:kms\",\
          \"KMSMasterKeyID\":\"alias/flow-logs\"},\"BucketKeyEnabled\":true}]}'",
};

pub static BUCKET_PUBLIC_ACCESS: Rule = Rule {
    id: "SEC002",
    name: "flow-log-bucket-public-access-not-blocked",
    category: Category::DestinationSecurity,
    default_severity: Severity::High,
    summary: "The flow-log bucket does not block public access with all four settings.",
    what: "When the policy sets `s3.require_public_access_block`, checks that the bucket's \
           public access block has BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and \
           RestrictPublicBuckets all on. A bucket with no configuration has all four off.",
    why: "Flow logs map an organisation's network: addresses, ports and who talks to whom. \
          A policy or ACL mistake on a bucket without the block can publish all of it.",
    fix: "Turn on all four settings:\n  aws s3api put-public-access-block --bucket \
          central-flow-logs --public-access-block-configuration \
          BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
};

pub static LOG_GROUP_NOT_KMS: Rule = Rule {
    id: "SEC003",
    name: "flow-log-group-not-kms-encrypted",
    category: Category::DestinationSecurity,
    default_severity: Severity::Medium,
    summary: "The flow-log group is not encrypted with a customer-managed KMS key.",
    what: "When the policy sets `cloudwatch.require_kms`, checks that the log group has a \
           kmsKeyId.",
    why: "CloudWatch Logs encrypts every group with a service key, but only a \
          customer-managed key lets the organisation restrict and audit who decrypts \
          personal data, and revoke access by disabling the key.",
    fix: "Associate a key (its policy must allow logs.<region>.amazonaws.com):\n  aws logs \
          associate-kms-key --log-group-name /vpc/flow-logs --kms-key-id \
          arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &BUCKET_NOT_ENCRYPTED,
        &BUCKET_PUBLIC_ACCESS,
        &LOG_GROUP_NOT_KMS,
    ],
    check,
};

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    for usage in &ctx.destinations {
        let profiles = &usage.profiles;
        match &usage.destination {
            Destination::Bucket { name } => {
                let DestinationState::Bucket(b) = &usage.state else {
                    continue;
                };
                let subject = destination_subject(ctx, usage);
                let encryption = judge_per_profile(profiles, |p| {
                    let req = p.requirements.s3.as_ref()?;
                    if !req.require_encryption {
                        return None;
                    }
                    let enc = b.encryption.as_ref()?; // COL002 reports it.
                    let algorithms: Vec<&str> =
                        enc.rules.iter().map(|r| r.sse_algorithm.as_str()).collect();
                    let kms = algorithms.iter().any(|a| a.starts_with("aws:kms"));
                    let evidence =
                        json!({ "SSEAlgorithms": algorithms, "require_kms": req.require_kms });
                    Some(if algorithms.is_empty() {
                        Verdict::fail(
                            format!("bucket {name} has no default encryption"),
                            evidence,
                            format!(
                                "aws s3api put-bucket-encryption --bucket {name} --server-side-encryption-configuration ..."
                            ),
                        )
                    } else if req.require_kms && !kms {
                        Verdict::fail(
                            format!(
                                "bucket {name} is encrypted with {}; the policy requires aws:kms",
                                algorithms.join(", ")
                            ),
                            evidence,
                            format!(
                                "aws s3api put-bucket-encryption --bucket {name} with SSEAlgorithm aws:kms and a customer key"
                            ),
                        )
                    } else {
                        Verdict::pass(
                            format!("bucket {name} is encrypted with {}", algorithms.join(", ")),
                            evidence,
                        )
                    })
                });
                let public = judge_per_profile(profiles, |p| {
                    let req = p.requirements.s3.as_ref()?;
                    if !req.require_public_access_block {
                        return None;
                    }
                    let pab = b.public_access_block.as_ref()?; // COL002 reports it.
                    let off = pab.disabled_settings();
                    let evidence = json!({ "PublicAccessBlock": pab });
                    Some(if off.is_empty() {
                        Verdict::pass(format!("bucket {name} blocks all public access"), evidence)
                    } else {
                        Verdict::fail(
                            format!("bucket {name} does not set {}", off.join(", ")),
                            evidence,
                            format!(
                                "aws s3api put-public-access-block --bucket {name} --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true"
                            ),
                        )
                    })
                });
                for (rule, outcome) in [
                    (&BUCKET_NOT_ENCRYPTED, encryption),
                    (&BUCKET_PUBLIC_ACCESS, public),
                ] {
                    if let Some((verdict, _)) = outcome {
                        out.push(rule.finding(&subject, verdict));
                    }
                }
            }
            Destination::LogGroup { region, name, .. } => {
                let DestinationState::LogGroup(group) = &usage.state else {
                    continue;
                };
                let outcome = judge_per_profile(profiles, |p| {
                    let req = p.requirements.cloudwatch.as_ref()?;
                    if !req.require_kms {
                        return None;
                    }
                    let evidence = json!({ "logGroupName": name, "kmsKeyId": group.kms_key_id });
                    Some(match &group.kms_key_id {
                        Some(key) => Verdict::pass(
                            format!("log group {name} is encrypted with {key}"),
                            evidence,
                        ),
                        None => Verdict::fail(
                            format!(
                                "log group {name} is not encrypted with a customer-managed KMS key"
                            ),
                            evidence,
                            format!(
                                "aws logs associate-kms-key --region {region} --log-group-name {name} --kms-key-id <key-arn>"
                            ),
                        ),
                    })
                });
                if let Some((verdict, _)) = outcome {
                    out.push(LOG_GROUP_NOT_KMS.finding(&destination_subject(ctx, usage), verdict));
                }
            }
            Destination::DeliveryStream { .. } => {}
        }
    }
}
