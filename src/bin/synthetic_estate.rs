//! Writes a large, deterministic synthetic snapshot for benchmarking evaluation.
//!
//! cargo run --release --features synthetic-estate --bin flowaudit-synthetic-estate -- \
//!     ACCOUNTS REGIONS VPCS_PER_REGION > estate.json
//!
//! A feature-gated binary rather than an example: examples build with the dev-dependencies,
//! which compile the SDK's test-util variants (12 minutes more, cold, in release).
//! Each VPC has 4 subnets with 5 ENIs each; 70% have a VPC-level log, 20% subnet-level logs
//! on half their subnets, 10% none. Logs go to one of 4 log groups per region and one of 10
//! central buckets whose lifecycles vary.

use flowaudit::snapshot::*;

fn arg(n: usize, default: usize) -> usize {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn flow_log(id: String, resource: &str, kind: &str, destination: String) -> FlowLog {
    FlowLog {
        flow_log_id: id,
        resource_id: resource.to_string(),
        traffic_type: Some("ALL".into()),
        log_destination_type: Some(kind.into()),
        log_destination: Some(destination),
        log_group_name: None,
        deliver_logs_permission_arn: None,
        deliver_cross_account_role: None,
        flow_log_status: Some("ACTIVE".into()),
        deliver_logs_status: Some("SUCCESS".into()),
        deliver_logs_error_message: None,
        log_format: None,
        max_aggregation_interval: Some(600),
        destination_options: None,
        tags: vec![],
        creation_time: None,
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (accounts, regions, vpcs) = (arg(1, 4), arg(2, 4), arg(3, 125));
    let region_names = [
        "eu-west-1",
        "us-east-1",
        "ap-northeast-1",
        "eu-central-1",
        "us-west-2",
        "ap-southeast-2",
    ];
    let mut snapshot = Snapshot::empty("2026-11-20T03:00:00Z");
    for b in 0..10 {
        snapshot.buckets.push(Bucket {
            name: format!("bench-flow-logs-{b}"),
            exists: Some(true),
            owner_account_id: Some("100000000000".into()),
            region: Some("eu-west-1".into()),
            versioning: Some(BucketVersioning {
                status: (b % 2 == 0).then(|| "Enabled".into()),
                mfa_delete: None,
            }),
            lifecycle: Some(BucketLifecycle {
                rules: vec![LifecycleRule {
                    id: Some("flow-logs".into()),
                    status: "Enabled".into(),
                    filter: Some(LifecycleFilter {
                        prefix: Some(if b % 3 == 0 {
                            "logs/".into()
                        } else {
                            "AWSLogs/".into()
                        }),
                        ..Default::default()
                    }),
                    expiration: Some(LifecycleExpiration {
                        days: Some(90 + 30 * b),
                        ..Default::default()
                    }),
                    ..Default::default()
                }],
                transition_default_minimum_object_size: None,
            }),
            encryption: Some(BucketEncryption { rules: vec![] }),
            public_access_block: Some(PublicAccessBlock::default()),
        });
    }
    for a in 0..accounts {
        let account_id = format!("{:012}", 100000000000u64 + a as u64);
        snapshot.scope.accounts.push(account_id.clone());
        let mut account = AccountSnapshot {
            account_id: account_id.clone(),
            regions: vec![],
        };
        for region in region_names.iter().take(regions) {
            let mut r = RegionSnapshot::new(*region);
            // Collected as with --connectivity: no VPC is connected outside itself, so a
            // policy that selects by connectivity judges every VPC by its other profiles.
            r.transit_gateways = Some(vec![]);
            r.transit_gateway_attachments = Some(vec![]);
            r.internet_gateways = Some(vec![]);
            r.egress_only_internet_gateways = Some(vec![]);
            r.nat_gateways = Some(vec![]);
            r.vpn_gateways = Some(vec![]);
            r.vpc_peering_connections = Some(vec![]);
            for g in 0..4 {
                r.log_groups.push(LogGroup {
                    log_group_name: format!("/vpc/bench-{g}"),
                    arn: None,
                    retention_in_days: [None, Some(7), Some(14), Some(365)][g],
                    kms_key_id: None,
                    stored_bytes: None,
                    creation_time: None,
                    log_group_class: None,
                    deletion_protection_enabled: None,
                    data_protection_status: None,
                    inherited_properties: vec![],
                });
            }
            for v in 0..vpcs {
                let vpc_id = format!("vpc-{a:02x}{v:015x}");
                r.vpcs.push(Vpc {
                    vpc_id: vpc_id.clone(),
                    cidr_block: Some("10.0.0.0/16".into()),
                    owner_id: account_id.clone(),
                    is_default: false,
                    state: Some("available".into()),
                    tags: vec![Tag {
                        key: "Environment".into(),
                        value: ["prod", "staging", "dev"][v % 3].into(),
                    }],
                });
                let mode = v % 10;
                for s in 0..4 {
                    let subnet_id = format!("subnet-{a:02x}{v:013x}{s:02x}");
                    r.subnets.push(Subnet {
                        subnet_id: subnet_id.clone(),
                        vpc_id: vpc_id.clone(),
                        availability_zone: None,
                        cidr_block: None,
                        owner_id: None,
                        tags: vec![],
                    });
                    for e in 0..5 {
                        r.network_interfaces.push(NetworkInterface {
                            network_interface_id: format!("eni-{a:02x}{v:011x}{s:02x}{e:02x}")
                                .into(),
                            subnet_id: subnet_id.as_str().into(),
                            vpc_id: vpc_id.as_str().into(),
                            interface_type: Some("interface".into()),
                            requester_managed: false,
                            status: Some("in-use".into()),
                            description: None,
                            owner_id: Some(account_id.as_str().into()),
                            attachment: None,
                        });
                    }
                    if (7..9).contains(&mode) && s % 2 == 0 {
                        r.flow_logs.push(flow_log(
                            format!("fl-{a:02x}{v:013x}{s:02x}"),
                            &subnet_id,
                            "s3",
                            format!("arn:aws:s3:::bench-flow-logs-{}", v % 10),
                        ));
                    }
                }
                if mode < 7 {
                    r.flow_logs.push(flow_log(
                        format!("fl-{a:02x}{v:015x}"),
                        &vpc_id,
                        "s3",
                        format!("arn:aws:s3:::bench-flow-logs-{}", v % 10),
                    ));
                    r.flow_logs.push(flow_log(
                        format!("fl-{a:02x}{v:014x}c"),
                        &vpc_id,
                        "cloud-watch-logs",
                        format!(
                            "arn:aws:logs:{region}:{account_id}:log-group:/vpc/bench-{}",
                            v % 4
                        ),
                    ));
                }
            }
            account.regions.push(r);
        }
        snapshot.accounts.push(account);
    }
    snapshot.scope.regions = region_names
        .iter()
        .take(regions)
        .map(|r| r.to_string())
        .collect();
    print!("{}", to_json(&snapshot)?);
    Ok(())
}
