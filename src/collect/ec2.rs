//! EC2: VPCs, subnets, ENIs and flow logs, each listed once per region, page by page.

use aws_sdk_ec2::types as ec2;
use compact_str::CompactString;

use super::RegionOutcome;
use super::errors::Call;
use super::pace::{EC2_DESCRIBE_PER_SECOND, Pacer};
use crate::snapshot::{
    DestinationOptions, FlowLog, NetworkInterface, NetworkInterfaceAttachment, Subnet, Tag,
    TransitGateway, TransitGatewayAttachment, Vpc,
};

fn tags(tags: &[ec2::Tag]) -> Vec<Tag> {
    let mut out: Vec<Tag> = tags
        .iter()
        .map(|t| Tag {
            key: t.key().unwrap_or_default().to_string(),
            value: t.value().unwrap_or_default().to_string(),
        })
        .collect();
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

fn s(value: Option<&str>) -> Option<String> {
    value.map(str::to_string)
}

pub fn vpc(v: &ec2::Vpc) -> Vpc {
    Vpc {
        vpc_id: v.vpc_id().unwrap_or_default().to_string(),
        cidr_block: s(v.cidr_block()),
        owner_id: v.owner_id().unwrap_or_default().to_string(),
        is_default: v.is_default().unwrap_or(false),
        state: v.state().map(|s| s.as_str().to_string()),
        tags: tags(v.tags()),
    }
}

pub fn subnet(x: &ec2::Subnet) -> Subnet {
    Subnet {
        subnet_id: x.subnet_id().unwrap_or_default().to_string(),
        vpc_id: x.vpc_id().unwrap_or_default().to_string(),
        availability_zone: s(x.availability_zone()),
        cidr_block: s(x.cidr_block()),
        owner_id: s(x.owner_id()),
        tags: tags(x.tags()),
    }
}

pub fn network_interface(e: &ec2::NetworkInterface) -> NetworkInterface {
    let text = |value: Option<&str>| value.map(CompactString::from);
    NetworkInterface {
        network_interface_id: e.network_interface_id().unwrap_or_default().into(),
        subnet_id: e.subnet_id().unwrap_or_default().into(),
        vpc_id: e.vpc_id().unwrap_or_default().into(),
        interface_type: text(e.interface_type().map(|t| t.as_str())),
        requester_managed: e.requester_managed().unwrap_or(false),
        status: text(e.status().map(|t| t.as_str())),
        description: text(e.description()).filter(|d| !d.is_empty()),
        owner_id: text(e.owner_id()),
        attachment: e.attachment().map(|a| NetworkInterfaceAttachment {
            instance_id: text(a.instance_id()),
            instance_owner_id: text(a.instance_owner_id()),
            status: text(a.status().map(|t| t.as_str())),
        }),
    }
}

pub fn flow_log(f: &ec2::FlowLog) -> FlowLog {
    FlowLog {
        flow_log_id: f.flow_log_id().unwrap_or_default().to_string(),
        resource_id: f.resource_id().unwrap_or_default().to_string(),
        traffic_type: f.traffic_type().map(|t| t.as_str().to_string()),
        log_destination_type: f.log_destination_type().map(|t| t.as_str().to_string()),
        log_destination: s(f.log_destination()),
        log_group_name: s(f.log_group_name()),
        deliver_logs_permission_arn: s(f.deliver_logs_permission_arn()),
        deliver_cross_account_role: s(f.deliver_cross_account_role()),
        flow_log_status: s(f.flow_log_status()),
        deliver_logs_status: s(f.deliver_logs_status()),
        deliver_logs_error_message: s(f.deliver_logs_error_message()),
        log_format: s(f.log_format()),
        max_aggregation_interval: f.max_aggregation_interval(),
        destination_options: f.destination_options().map(|o| DestinationOptions {
            file_format: o.file_format().map(|t| t.as_str().to_string()),
            hive_compatible_partitions: o.hive_compatible_partitions().unwrap_or(false),
            per_hour_partition: o.per_hour_partition().unwrap_or(false),
        }),
        tags: tags(f.tags()),
        creation_time: f.creation_time().and_then(|t| {
            t.fmt(aws_sdk_ec2::primitives::DateTimeFormat::DateTime)
                .ok()
        }),
    }
}

/// Drains a paginator into `out`, one request per page. A failed page is recorded and ends
/// that list; evaluation then treats the list as unknown, never as empty. A page that
/// could not reach the endpoint at all marks the region unreachable (see `RegionOutcome`).
/// Each page waits for its turn under `pace` (see `pace`). A page without a next token is
/// the last: the paginator is not asked again, since that would take a pacing slot (50 ms
/// at EC2's rate) for no request.
macro_rules! list_pages {
    ($out:expr, $pace:expr, $call:expr, $request:expr, |$page:ident| $take:expr) => {{
        let mut pages = $request.into_paginator().send();
        loop {
            $pace.wait().await;
            let (page, attempts) = $crate::collect::attempts::observed(pages.next()).await;
            let Some(page) = page else { break };
            $out.requests += 1;
            match page {
                Ok($page) => {
                    let last = $page.next_token().is_none_or(str::is_empty);
                    $take;
                    if last {
                        break;
                    }
                }
                Err(e) => {
                    let mut error = $call.failed(&e, &attempts);
                    if $crate::collect::errors::unreachable(&e) {
                        $out.mark_unreachable(&mut error);
                    }
                    $out.errors.push(error);
                    break;
                }
            }
        }
    }};
}
pub(crate) use list_pages;

/// Where an EC2 listing was made (listings are about no one resource), for recording its
/// failure.
pub(super) fn ec2_call<'a>(
    account_id: &'a str,
    region: &'a str,
) -> impl Fn(&'static str) -> Call<'a> {
    let record = Call::recorder(account_id, region, "ec2");
    move |operation| record(operation, None)
}

/// Lists everything EC2 holds for flow-log coverage in one region, and with
/// `connectivity` what connects its VPCs outside themselves.
pub async fn collect(
    client: &aws_sdk_ec2::Client,
    account_id: &str,
    region: &str,
    connectivity: bool,
    out: &mut RegionOutcome,
) {
    let call = ec2_call(account_id, region);
    // The lists share EC2's Describe* rate.
    let pace = Pacer::per_second(EC2_DESCRIBE_PER_SECOND);
    list_pages!(
        out,
        pace,
        call("DescribeVpcs"),
        client.describe_vpcs().max_results(1000),
        |page| { out.data.vpcs.extend(page.vpcs().iter().map(vpc)) }
    );
    if out.unreachable {
        return;
    }
    list_pages!(
        out,
        pace,
        call("DescribeSubnets"),
        client.describe_subnets().max_results(1000),
        |page| { out.data.subnets.extend(page.subnets().iter().map(subnet)) }
    );
    if out.unreachable {
        return;
    }
    list_pages!(
        out,
        pace,
        call("DescribeNetworkInterfaces"),
        client.describe_network_interfaces().max_results(1000),
        |page| out
            .data
            .network_interfaces
            .extend(page.network_interfaces().iter().map(network_interface))
    );
    if out.unreachable {
        return;
    }
    list_pages!(
        out,
        pace,
        call("DescribeFlowLogs"),
        client.describe_flow_logs().max_results(1000),
        |page| {
            out.data
                .flow_logs
                .extend(page.flow_logs().iter().map(flow_log))
        }
    );
    if out.unreachable {
        return;
    }
    transit_gateways(client, account_id, region, connectivity, &pace, out).await;
    if connectivity && !out.unreachable {
        super::connectivity::collect(client, account_id, region, &pace, out).await;
    }
}

/// Lists the transit gateways, and their attachments when the account owns one of them
/// (only a gateway's owner can create its flow logs, so only the owner judges them) or
/// when `connectivity` asks which VPCs are attached. A listing that fails stays absent
/// from the snapshot, and its error says why.
async fn transit_gateways(
    client: &aws_sdk_ec2::Client,
    account_id: &str,
    region: &str,
    connectivity: bool,
    pace: &Pacer,
    out: &mut RegionOutcome,
) {
    let call = ec2_call(account_id, region);
    let failed_before = out.errors.len();
    let mut gateways = Vec::new();
    list_pages!(
        out,
        pace,
        call("DescribeTransitGateways"),
        client.describe_transit_gateways().max_results(1000),
        |page| gateways.extend(page.transit_gateways().iter().map(transit_gateway))
    );
    if out.errors.len() > failed_before {
        return;
    }
    gateways.sort_by(|a, b| a.transit_gateway_id.cmp(&b.transit_gateway_id));
    let owns_one = gateways.iter().any(|g| g.owner_id == account_id);
    out.data.transit_gateways = Some(gateways);
    if !owns_one && !connectivity {
        out.data.transit_gateway_attachments = Some(Vec::new());
        return;
    }
    let mut attachments = Vec::new();
    list_pages!(
        out,
        pace,
        call("DescribeTransitGatewayAttachments"),
        client
            .describe_transit_gateway_attachments()
            .max_results(1000),
        |page| attachments.extend(
            page.transit_gateway_attachments()
                .iter()
                .map(transit_gateway_attachment)
        )
    );
    if out.errors.len() > failed_before {
        return;
    }
    attachments.sort_by(|a, b| {
        a.transit_gateway_attachment_id
            .cmp(&b.transit_gateway_attachment_id)
    });
    out.data.transit_gateway_attachments = Some(attachments);
}

fn transit_gateway(g: &ec2::TransitGateway) -> TransitGateway {
    TransitGateway {
        transit_gateway_id: g.transit_gateway_id().unwrap_or_default().to_string(),
        transit_gateway_arn: s(g.transit_gateway_arn()),
        owner_id: g.owner_id().unwrap_or_default().to_string(),
        state: g.state().map(|s| s.as_str().to_string()),
        tags: tags(g.tags()),
    }
}

fn transit_gateway_attachment(a: &ec2::TransitGatewayAttachment) -> TransitGatewayAttachment {
    TransitGatewayAttachment {
        transit_gateway_attachment_id: a
            .transit_gateway_attachment_id()
            .unwrap_or_default()
            .to_string(),
        transit_gateway_id: a.transit_gateway_id().unwrap_or_default().to_string(),
        transit_gateway_owner_id: s(a.transit_gateway_owner_id()),
        resource_type: a.resource_type().map(|t| t.as_str().to_string()),
        resource_id: s(a.resource_id()),
        resource_owner_id: s(a.resource_owner_id()),
        state: a.state().map(|t| t.as_str().to_string()),
        tags: tags(a.tags()),
    }
}

/// The regions enabled for the account (DescribeRegions without AllRegions).
pub async fn enabled_regions(client: &aws_sdk_ec2::Client) -> Result<Vec<String>, String> {
    let (answer, attempts) = super::attempts::observed(client.describe_regions().send()).await;
    let out = answer.map_err(|e| {
        let (code, message) = super::errors::describe(&e, &attempts);
        format!("DescribeRegions failed: {code}: {message}")
    })?;
    let mut regions: Vec<String> = out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect();
    regions.sort();
    Ok(regions)
}
