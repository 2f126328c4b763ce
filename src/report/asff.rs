//! The AWS Security Finding Format (ASFF), as AWS Security Hub imports it: one finding per
//! check, identified by rule, account, region and resource, so that every run updates the
//! same finding. `--format asff` writes them as a JSON array; `flowaudit publish
//! security-hub` imports them (`crate::publish`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Report;
use crate::findings::{Finding, Severity, Status};
use crate::rules;

pub const SCHEMA_VERSION: &str = "2018-10-08";
/// The prefix of every flowaudit `GeneratorId`: `flowaudit/COV003`.
pub const GENERATOR_PREFIX: &str = "flowaudit/";
/// The ASFF finding type of every flowaudit finding.
pub const FINDING_TYPE: &str =
    "Software and Configuration Checks/AWS Security Best Practices/VPC Flow Logs";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffFinding {
    pub schema_version: String,
    pub id: String,
    pub product_arn: String,
    pub generator_id: String,
    pub aws_account_id: String,
    pub region: String,
    pub types: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_observed_at: Option<String>,
    pub severity: AsffSeverity,
    pub title: String,
    pub description: String,
    pub remediation: AsffRemediation,
    pub compliance: AsffCompliance,
    pub resources: Vec<AsffResource>,
    pub product_fields: BTreeMap<String, String>,
    pub workflow: AsffWorkflow,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<AsffNote>,
    pub record_state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffSeverity {
    pub label: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRemediation {
    pub recommendation: AsffRecommendation,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffRecommendation {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffCompliance {
    /// PASSED, FAILED or NOT_AVAILABLE.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffResource {
    pub r#type: String,
    pub id: String,
    pub partition: String,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffWorkflow {
    /// NEW, SUPPRESSED or RESOLVED.
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AsffNote {
    pub text: String,
    pub updated_by: String,
    pub updated_at: String,
}

/// The AWS partition a region belongs to.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The account's default custom-integration product, which its own findings import into.
pub fn product_arn(account_id: &str, region: &str) -> String {
    format!(
        "arn:{}:securityhub:{region}:{account_id}:product/{account_id}/default",
        partition(region)
    )
}

/// The region a finding lives in: its own, or for a bucket (filed under `global`) the
/// bucket's region, else the report's first region.
pub fn region_of(report: &Report, f: &Finding) -> String {
    if f.region != "global" {
        return f.region.clone();
    }
    // An S3 prefix is `bucket/prefix`; a failed bucket call's resource is `s3:bucket`.
    let bucket = f
        .resource_id
        .trim_start_matches("s3:")
        .split('/')
        .next()
        .unwrap_or_default();
    report
        .bucket_regions
        .get(bucket)
        .cloned()
        .or_else(|| report.snapshot.regions.first().cloned())
        .unwrap_or_else(|| "us-east-1".to_string())
}

/// The stable Id of a finding; a long one (an S3 prefix) is shortened to its digest, since
/// ASFF allows 512 characters.
pub fn id_of(f: &Finding, region: &str) -> String {
    let id = format!(
        "{GENERATOR_PREFIX}{}/{}/{region}/{}",
        f.rule_id, f.account_id, f.resource_id
    );
    if id.len() <= 512 {
        id
    } else {
        format!(
            "{GENERATOR_PREFIX}{}/{}/{region}/sha256-{}",
            f.rule_id,
            f.account_id,
            crate::digest::sha256_hex(f.resource_id.as_bytes())
        )
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "CRITICAL",
        Severity::High => "HIGH",
        Severity::Medium => "MEDIUM",
        Severity::Low => "LOW",
        Severity::Info => "INFORMATIONAL",
    }
}

/// PASSED, FAILED, or NOT_AVAILABLE for what could not be evaluated. A waived failure is
/// still FAILED; its workflow says it is suppressed.
pub fn compliance_status(status: Status) -> &'static str {
    match status {
        Status::Pass => "PASSED",
        Status::Fail | Status::Waived => "FAILED",
        Status::Error | Status::Unknown => "NOT_AVAILABLE",
    }
}

/// `text` cut to `max` characters at a character boundary.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max - 1).collect();
    out.push('…');
    out
}

/// The ASFF resource type of a finding's resource.
fn resource_type(f: &Finding) -> &'static str {
    match f.resource_type.as_str() {
        "vpc" => "AwsEc2Vpc",
        "subnet" => "AwsEc2Subnet",
        "network-interface" => "AwsEc2NetworkInterface",
        "log-group" => "AwsLogsLogGroup",
        "s3-bucket" | "s3-prefix" => "AwsS3Bucket",
        "transit-gateway" => "AwsEc2TransitGateway",
        _ => "Other",
    }
}

/// The resource's id: its ARN in the region's partition (a bucket's, for an S3 prefix), or
/// for what has none, flowaudit's id.
fn resource_id(f: &Finding, partition: &str) -> String {
    let arn = match f.resource_type.as_str() {
        "s3-prefix" => Some(format!(
            "arn:aws:s3:::{}",
            f.resource_id.split('/').next().unwrap_or_default()
        )),
        _ => f.resource_arn.clone(),
    };
    match arn {
        Some(arn) => match arn.strip_prefix("arn:aws:") {
            Some(rest) => format!("arn:{partition}:{rest}"),
            None => arn,
        },
        None => format!("{}/{}/{}", f.account_id, f.region, f.resource_id),
    }
}

/// One finding in ASFF, created and updated at the times given.
pub fn finding(report: &Report, f: &Finding, created_at: &str, updated_at: &str) -> AsffFinding {
    let region = region_of(report, f);
    let partition = partition(&region);
    let rule = rules::find(&f.rule_id);
    let mut product_fields = BTreeMap::from([
        ("flowaudit/Policy".to_string(), report.policy.name.clone()),
        (
            "flowaudit/PolicySha256".to_string(),
            report.policy.sha256.clone(),
        ),
        ("flowaudit/RuleId".to_string(), f.rule_id.clone()),
        ("flowaudit/ResourceId".to_string(), f.resource_id.clone()),
        (
            "flowaudit/Status".to_string(),
            f.status.as_str().to_string(),
        ),
    ]);
    if let Some(profile) = &f.profile {
        product_fields.insert("flowaudit/Profile".to_string(), profile.clone());
    }
    let waiver = f.waiver.as_ref().filter(|_| f.status == Status::Waived);
    let remediation = if f.remediation.is_empty() {
        rule.map(|r| r.fix).unwrap_or_default().to_string()
    } else {
        f.remediation.clone()
    };
    AsffFinding {
        schema_version: SCHEMA_VERSION.to_string(),
        id: id_of(f, &region),
        product_arn: product_arn(&f.account_id, &region),
        generator_id: format!("{GENERATOR_PREFIX}{}", f.rule_id),
        aws_account_id: f.account_id.clone(),
        region: region.clone(),
        types: vec![FINDING_TYPE.to_string()],
        created_at: created_at.to_string(),
        updated_at: updated_at.to_string(),
        first_observed_at: f
            .history
            .as_ref()
            .map(|h| format!("{}T00:00:00Z", h.first_seen)),
        severity: AsffSeverity {
            label: severity_label(f.severity).to_string(),
        },
        title: cut(
            &format!(
                "{} {}",
                f.rule_id,
                rule.map(|r| r.summary).unwrap_or_default()
            ),
            256,
        ),
        description: cut(&f.message, 1024),
        remediation: AsffRemediation {
            recommendation: AsffRecommendation {
                text: cut(&remediation, 512),
            },
        },
        compliance: AsffCompliance {
            status: compliance_status(f.status).to_string(),
        },
        resources: vec![AsffResource {
            r#type: resource_type(f).to_string(),
            id: resource_id(f, partition),
            partition: partition.to_string(),
            region,
        }],
        product_fields,
        workflow: AsffWorkflow {
            status: if waiver.is_some() {
                "SUPPRESSED"
            } else {
                "NEW"
            }
            .to_string(),
        },
        note: waiver.map(|w| AsffNote {
            text: cut(&format!("Waived until {}: {}", w.expires, w.reason), 512),
            updated_by: cut(&w.approved_by, 512),
            updated_at: updated_at.to_string(),
        }),
        record_state: "ACTIVE".to_string(),
    }
}

/// Every finding of the report as an ASFF array, created and updated at the snapshot's
/// collection time, so that the same report always gives the same bytes.
pub fn render(report: &Report) -> Result<String, serde_json::Error> {
    let at = &report.snapshot.collected_at;
    let findings: Vec<AsffFinding> = report
        .findings
        .iter()
        .map(|f| finding(report, f, at, at))
        .collect();
    let mut out = serde_json::to_string_pretty(&findings)?;
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_follow_the_region() {
        assert_eq!(partition("eu-west-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
        assert_eq!(
            product_arn("111122223333", "cn-northwest-1"),
            "arn:aws-cn:securityhub:cn-northwest-1:111122223333:product/111122223333/default"
        );
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
    }
}
