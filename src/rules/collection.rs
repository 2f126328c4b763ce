//! Collection: what could not be seen. Every gap becomes an `error` finding, so that a run
//! that missed something can never read as compliant.

use std::collections::BTreeMap;

use serde_json::json;

use super::{Family, Rule, Subject, Verdict, destination_subject, vpc_subject};
use crate::destination::Destination;
use crate::findings::{Category, Finding, Severity};
use crate::index::{Context, DestinationState, describe};
use crate::snapshot::{CollectionError, ENDPOINT_UNREACHABLE, consistency};

pub static COLLECTION_FAILED: Rule = Rule {
    id: "COL001",
    name: "collection-failed",
    category: Category::Collection,
    default_severity: Severity::High,
    summary: "An AWS API call failed while collecting, so part of the estate was not seen.",
    what: "Reports every call that failed during collection (AccessDenied, throttling that \
           outlasted the retries, a region that did not answer), with the account, region, \
           service, operation and the error AWS returned.",
    why: "A compliance run that silently skips what it could not read reports a pass it \
          has not earned. The run exits 3 unless it also found violations.",
    fix: "Grant the read-only permissions in docs/iam-read-only-policy.json to the \
          identity flowaudit runs as, or retry if AWS throttled:\n  aws iam \
          simulate-principal-policy --policy-source-arn arn:aws:iam::111122223333:role/flowaudit \
          --action-names ec2:DescribeFlowLogs logs:DescribeLogGroups",
};

pub static DESTINATION_UNVERIFIABLE: Rule = Rule {
    id: "COL002",
    name: "destination-unverifiable",
    category: Category::Collection,
    default_severity: Severity::High,
    summary: "A flow-log destination, or a setting of it that the policy needs, could not be inspected.",
    what: "Reports each destination whose existence, lifecycle, versioning, encryption or \
           public access block could not be read, with the flow logs that depend on it. A \
           bucket in another account usually answers AccessDenied.",
    why: "Retention cannot be proven from a bucket nobody may read. Treating it as \
          compliant is how central log buckets drift unnoticed.",
    fix: "Run flowaudit in the destination's account as well, or let the auditing role \
          read the bucket's configuration with a bucket policy statement such as:\n  \
          {\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111122223333:role/flowaudit\"},\
          \"Action\":[\"s3:GetLifecycleConfiguration\",\"s3:GetBucketVersioning\",\
          \"s3:GetEncryptionConfiguration\",\"s3:GetBucketPublicAccessBlock\",\"s3:GetBucketLocation\"],\
          \"Resource\":\"arn:aws:s3:::central-flow-logs\"}\n  aws s3api put-bucket-policy \
          --bucket central-flow-logs --policy file://policy.json",
};

pub static COVERAGE_UNVERIFIABLE: Rule = Rule {
    id: "COL003",
    name: "coverage-unverifiable",
    category: Category::Collection,
    default_severity: Severity::High,
    summary: "The VPC's subnets, ENIs or flow logs could not all be listed, so its coverage is unknown.",
    what: "Reports each judged VPC in an account and region where DescribeSubnets, \
           DescribeNetworkInterfaces or DescribeFlowLogs failed, where the region's \
           endpoint did not answer, or where the listings disagree (an ENI in a subnet \
           that DescribeSubnets did not list, a flow log on an ENI or subnet that no \
           listing has): an answer was cut short, so what is listed cannot be trusted.",
    why: "Without the full list of flow logs and interfaces, a VPC could look uncovered \
          when it is covered, or covered when it is not.",
    fix: "Grant ec2:DescribeSubnets, ec2:DescribeNetworkInterfaces and \
          ec2:DescribeFlowLogs and run again:\n  aws ec2 describe-flow-logs --region eu-west-1",
};

pub static VALUE_UNKNOWN_BEFORE_APPLY: Rule = Rule {
    id: "COL004",
    name: "value-unknown-before-apply",
    category: Category::Collection,
    default_severity: Severity::High,
    summary: "A Terraform plan leaves a value the rules need unknown until apply.",
    what: "Reports, for `flowaudit plan`, each value the plan cannot show: an attribute \
           marked `after_unknown` whose reference cannot be followed to one resource (a \
           data source, several candidates, a local with --strict-references, a dynamic \
           block), and anything the plan refers to that neither the plan nor the existing \
           estate (--with-snapshot, --live) holds. Every finding that depends on it is \
           `unknown` too.",
    why: "A gate that passes what it cannot see approves the change that removes a flow \
          log. Unknown exits 3, or 1 with --fail-on-unknown; it is never a pass.",
    fix: "Supply the existing estate: collect it with the same credentials as a scan, and \
          give it to the gate (flowaudit collect --region eu-west-1 -o estate.json; \
          flowaudit plan plan.json --policy policies/production.yaml --with-snapshot \
          estate.json), or use --live. Or make the value visible in the plan: refer to the \
          resource itself (vpc_id = aws_vpc.main.id) rather than through a data source, or \
          give it a literal value. To see what an existing destination holds:\n  aws s3api \
          get-bucket-lifecycle-configuration --bucket central-flow-logs",
};

pub static CONNECTIVITY_UNKNOWN: Rule = Rule {
    id: "COL005",
    name: "connectivity-unknown",
    category: Category::Collection,
    default_severity: Severity::High,
    summary: "A profile selects VPCs by connectivity, and this VPC's connectivity could not be read.",
    what: "Reports each VPC that a profile with `match.connectivity` would select by its \
           accounts, regions and tags, where the snapshot lacks the connectivity listings \
           (DescribeInternetGateways, DescribeEgressOnlyInternetGateways, \
           DescribeNatGateways, DescribeVpnGateways, DescribeVpcPeeringConnections, \
           DescribeTransitGatewayAttachments), or one of them failed. The VPC is not judged \
           by a later profile or the default, which may be laxer.",
    why: "An internet-facing VPC must not pass under a lenient default because the call that \
          would have shown its internet gateway was denied.",
    fix: "Grant the listings and collect with --connectivity (a scan whose policy uses \
          connectivity lists it by itself):\n  aws ec2 describe-internet-gateways --region \
          eu-west-1\n  flowaudit collect --connectivity --region eu-west-1 -o snapshot.json",
};

/// The IAM action behind an API operation, where the two names differ.
fn iam_action<'a>(service: &str, operation: &'a str) -> &'a str {
    match (service, operation) {
        ("s3", "GetBucketLifecycleConfiguration") => "GetLifecycleConfiguration",
        ("s3", "GetBucketEncryption") => "GetEncryptionConfiguration",
        ("s3", "GetPublicAccessBlock") => "GetBucketPublicAccessBlock",
        _ => operation,
    }
}

/// What to do about a group of failed calls, by what kind of failure they were.
fn remediation(errors: &[&CollectionError], actions: &[String]) -> String {
    let denied = errors.iter().any(|e| {
        e.code.contains("AccessDenied") || e.code.contains("Unauthorized") || e.code == "Forbidden"
    });
    let garbled = errors.iter().any(|e| {
        matches!(
            e.code.as_str(),
            consistency::INCOMPLETE_LISTING | "TruncatedResponse" | "UnparseableResponse"
        )
    });
    let unreachable = errors.iter().any(|e| e.code == ENDPOINT_UNREACHABLE);
    let mut steps = Vec::new();
    if denied {
        steps.push(format!(
            "grant {} to the scanning identity",
            actions.join(", ")
        ));
    }
    if garbled {
        steps.push(
            "scan again: an answer was cut short or garbled on the way, or the resources changed between calls; \
             if it persists, look for a proxy or gateway between flowaudit and AWS that alters responses"
                .to_string(),
        );
    }
    if unreachable {
        steps.push(
            "check that the region's endpoints can be reached from where flowaudit runs (network, proxy, VPC endpoints), then scan again"
                .to_string(),
        );
    }
    if steps.is_empty() {
        steps.push(format!(
            "retry, or raise --max-attempts or --operation-timeout if AWS throttled; \
             if the calls were refused, grant {} to the scanning identity",
            actions.join(", ")
        ));
    }
    steps.join("; ")
}

fn errors_json(errors: &[&CollectionError]) -> serde_json::Value {
    json!(
        errors
            .iter()
            .map(|e| json!({ "operation": e.operation, "code": e.code, "message": e.message }))
            .collect::<Vec<_>>()
    )
}

/// This family's rules, in id order, and the check that emits their findings.
pub static FAMILY: Family = Family {
    rules: &[
        &COLLECTION_FAILED,
        &DESTINATION_UNVERIFIABLE,
        &COVERAGE_UNVERIFIABLE,
        &VALUE_UNKNOWN_BEFORE_APPLY,
        &CONNECTIVITY_UNKNOWN,
    ],
    check,
};

/// One finding per value a plan leaves unknown.
fn plan_unknowns(ctx: &Context, out: &mut Vec<Finding>) {
    let Some(plan) = &ctx.estate.snapshot.plan else {
        return;
    };
    for u in &plan.unknowns {
        let subject = Subject {
            resource_type: "terraform-resource",
            resource_id: u.resource_id.clone(),
            resource_arn: None,
            account_id: u.account_id.clone(),
            region: u.region.clone(),
            profile: None,
        };
        out.push(VALUE_UNKNOWN_BEFORE_APPLY.finding(
            &subject,
            Verdict::unknown(
                format!("{}: `{}` is unknown until apply: {}", u.address, u.attribute, u.reason),
                json!({ "address": u.address, "attribute": u.attribute, "reason": u.reason, "affects": u.affects, "affects_coverage": u.affects_coverage, "standalone": u.standalone }),
                "supply the existing estate with --with-snapshot or --live, or make the value visible in the plan (refer to the resource itself, or give a literal value)",
            ),
        ));
    }
}

fn check(ctx: &Context, out: &mut Vec<Finding>) {
    plan_unknowns(ctx, out);
    // One finding per account, region, service and resource: five denied calls on one
    // bucket are one problem to fix.
    let mut groups: BTreeMap<(&str, &str, &str, Option<&str>), Vec<&CollectionError>> =
        BTreeMap::new();
    for e in ctx.estate.errors.all() {
        groups
            .entry((
                &e.account_id,
                &e.region,
                &e.service,
                e.resource_id.as_deref(),
            ))
            .or_default()
            .push(e);
    }
    for ((account_id, region, service, resource), errors) in groups {
        let subject = Subject {
            resource_type: "api-call",
            resource_id: match resource {
                Some(r) => format!("{service}:{r}"),
                None => service.to_string(),
            },
            resource_arn: None,
            account_id: account_id.to_string(),
            region: region.to_string(),
            profile: None,
        };
        let mut actions: Vec<String> = errors
            .iter()
            .map(|e| format!("{service}:{}", iam_action(service, &e.operation)))
            .collect();
        actions.sort();
        actions.dedup();
        let about = resource.map(|r| format!(" for {r}")).unwrap_or_default();
        out.push(COLLECTION_FAILED.finding(
            &subject,
            Verdict::error(
                format!(
                    "{service} calls failed in {account_id}/{region}{about}: {}",
                    describe(&errors)
                ),
                json!({ "errors": errors_json(&errors) }),
                remediation(&errors, &actions),
            ),
        ));
    }

    for u in &ctx.undecided {
        let subject = Subject {
            resource_type: "vpc",
            resource_id: u.vpc.vpc_id.clone(),
            resource_arn: Some(u.arn()),
            account_id: u.account_id.to_string(),
            region: u.region.to_string(),
            profile: Some(u.profile.name.clone()),
        };
        let asks: Vec<&str> = u
            .profile
            .selector
            .connectivity
            .iter()
            .map(|c| c.as_str())
            .collect();
        out.push(CONNECTIVITY_UNKNOWN.finding(
            &subject,
            Verdict::error(
                format!(
                    "{} cannot be placed: profile `{}` selects VPCs with {} connectivity, and {}; it is judged by no other profile",
                    u.vpc.vpc_id,
                    u.profile.name,
                    asks.join(" or "),
                    u.why
                ),
                json!({ "profile": u.profile.name, "connectivity": asks, "why": u.why }),
                "grant ec2:DescribeInternetGateways, ec2:DescribeEgressOnlyInternetGateways, ec2:DescribeNatGateways, ec2:DescribeVpnGateways, ec2:DescribeVpcPeeringConnections and ec2:DescribeTransitGatewayAttachments, and collect with --connectivity",
            ),
        ));
    }

    for vpc in &ctx.vpcs {
        let failures = ctx.coverage_failures(vpc);
        if failures.is_empty() {
            continue;
        }
        let ops: Vec<&str> = failures.iter().map(|e| e.operation.as_str()).collect();
        out.push(COVERAGE_UNVERIFIABLE.finding(
            &vpc_subject(vpc),
            Verdict::error(
                format!("coverage of {} is unknown: {} failed", vpc.id(), ops.join(", ")),
                json!({ "errors": errors_json(&failures) }),
                "grant ec2:DescribeSubnets, ec2:DescribeNetworkInterfaces and ec2:DescribeFlowLogs and scan again",
            ),
        ));
    }

    for usage in &ctx.destinations {
        let profiles = &usage.profiles;
        let mut missing: Vec<String> = Vec::new();
        match &usage.state {
            DestinationState::Unknown(why) => missing.push(why.clone()),
            DestinationState::Missing => continue,
            _ => {
                if let (Destination::Bucket { name }, DestinationState::Bucket(b)) =
                    (&usage.destination, &usage.state)
                {
                    let needs = |f: &dyn Fn(&crate::policy::S3Requirement) -> bool| {
                        profiles
                            .iter()
                            .any(|p| p.requirements.s3.as_ref().is_some_and(f))
                    };
                    let mut unread = Vec::new();
                    if b.lifecycle.is_none() && needs(&|_| true) {
                        unread.push("lifecycle");
                    }
                    // S3L003 adds the noncurrent days of a versioned bucket to the lifetime.
                    if b.versioning.is_none()
                        && needs(&|s| {
                            s.expiration_days.max.is_some()
                                || s.noncurrent_version_expiration
                                    .as_ref()
                                    .is_some_and(|n| n.required)
                        })
                    {
                        unread.push("versioning");
                    }
                    if b.encryption.is_none() && needs(&|s| s.require_encryption) {
                        unread.push("encryption");
                    }
                    if b.public_access_block.is_none() && needs(&|s| s.require_public_access_block)
                    {
                        unread.push("public access block");
                    }
                    if !unread.is_empty() {
                        let failures = ctx.estate.errors.about("s3", name);
                        let detail: Vec<String> = failures
                            .iter()
                            .map(|e| format!("{} {}", e.operation, e.code))
                            .collect();
                        missing.push(format!(
                            "bucket {name}: {} could not be read{}",
                            unread.join(", "),
                            if detail.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", detail.join(", "))
                            }
                        ));
                    }
                }
            }
        }
        if missing.is_empty() {
            continue;
        }
        let mut message = format!(
            "{}; {}",
            missing.join("; "),
            ctx.dependents_text(&usage.users)
        );
        let mut remediation = "grant the auditing identity read access to the destination's configuration, or scan its account".to_string();
        if let Destination::Bucket { name } = &usage.destination {
            let denied = ctx
                .estate
                .errors
                .about("s3", name)
                .iter()
                .any(|e| e.code == "AccessDenied");
            if denied {
                let mut owners: Vec<&str> = usage
                    .users
                    .iter()
                    .map(|&u| ctx.holder(&ctx.flow_logs[u]).account_id)
                    .collect();
                owners.sort();
                owners.dedup();
                message.push_str(&format!(
                    ". AccessDenied: the bucket is probably owned by another account than the flow logs' ({})",
                    owners.join(", ")
                ));
                remediation = format!(
                    "in the bucket owner's account, allow the auditing role of account {} s3:GetLifecycleConfiguration, s3:GetBucketVersioning, s3:GetEncryptionConfiguration, s3:GetBucketPublicAccessBlock and s3:GetBucketLocation on arn:aws:s3:::{name} (aws s3api put-bucket-policy), or run flowaudit in that account",
                    owners.join(", ")
                );
            }
        }
        out.push(DESTINATION_UNVERIFIABLE.finding(
            &destination_subject(ctx, usage),
            Verdict::error(
                message,
                json!({ "missing": missing, "dependents": ctx.dependents(&usage.users) }),
                remediation,
            ),
        ));
    }
}
