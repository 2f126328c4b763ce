//! EC2: what connects each VPC outside itself, listed once per region for policies that
//! select VPCs by connectivity (`--connectivity`): internet and egress-only internet
//! gateways, NAT gateways, virtual private gateways and peering connections. Transit
//! gateway attachments are listed with the transit gateways (see `ec2`). A listing that
//! fails stays absent from the snapshot, and its error says why.

use aws_sdk_ec2::types as ec2;

use super::RegionOutcome;
use super::ec2::{ec2_call, list_pages};
use super::pace::Pacer;
use crate::snapshot::{
    EgressOnlyInternetGateway, InternetGateway, NatGateway, PeeringStatus, PeeringVpcInfo,
    VpcAttachment, VpcPeeringConnection, VpnGateway,
};

fn attachment(vpc_id: Option<&str>, state: Option<&str>) -> VpcAttachment {
    VpcAttachment {
        vpc_id: vpc_id.unwrap_or_default().to_string(),
        state: state.map(str::to_string),
    }
}

/// Runs one listing into `list`, leaving `target` absent when any page failed.
macro_rules! listed {
    ($out:expr, $pace:expr, $call:expr, $request:expr, $target:ident, |$page:ident| $take:expr) => {{
        let failed_before = $out.errors.len();
        let mut found = Vec::new();
        list_pages!($out, $pace, $call, $request, |$page| found.extend($take));
        if $out.errors.len() == failed_before {
            $out.data.$target = Some(found);
        }
    }};
}

pub async fn collect(
    client: &aws_sdk_ec2::Client,
    account_id: &str,
    region: &str,
    pace: &Pacer,
    out: &mut RegionOutcome,
) {
    let call = ec2_call(account_id, region);
    listed!(
        out,
        pace,
        call("DescribeInternetGateways"),
        client.describe_internet_gateways().max_results(1000),
        internet_gateways,
        |page| page.internet_gateways().iter().map(|g| InternetGateway {
            internet_gateway_id: g.internet_gateway_id().unwrap_or_default().to_string(),
            attachments: g
                .attachments()
                .iter()
                .map(|a| attachment(a.vpc_id(), a.state().map(|s| s.as_str())))
                .collect(),
        })
    );
    if out.unreachable {
        return;
    }
    listed!(
        out,
        pace,
        call("DescribeEgressOnlyInternetGateways"),
        client
            .describe_egress_only_internet_gateways()
            .max_results(255),
        egress_only_internet_gateways,
        |page| page
            .egress_only_internet_gateways()
            .iter()
            .map(|g| EgressOnlyInternetGateway {
                egress_only_internet_gateway_id: g
                    .egress_only_internet_gateway_id()
                    .unwrap_or_default()
                    .to_string(),
                attachments: g
                    .attachments()
                    .iter()
                    .map(|a| attachment(a.vpc_id(), a.state().map(|s| s.as_str())))
                    .collect(),
            })
    );
    listed!(
        out,
        pace,
        call("DescribeNatGateways"),
        client.describe_nat_gateways().max_results(1000),
        nat_gateways,
        |page| page.nat_gateways().iter().map(nat_gateway)
    );
    vpn_gateways(client, &call, pace, out).await;
    listed!(
        out,
        pace,
        call("DescribeVpcPeeringConnections"),
        client.describe_vpc_peering_connections().max_results(1000),
        vpc_peering_connections,
        |page| page.vpc_peering_connections().iter().map(peering)
    );
    let d = &mut out.data;
    if let Some(list) = &mut d.internet_gateways {
        list.sort_by(|a, b| a.internet_gateway_id.cmp(&b.internet_gateway_id));
    }
    if let Some(list) = &mut d.egress_only_internet_gateways {
        list.sort_by(|a, b| {
            a.egress_only_internet_gateway_id
                .cmp(&b.egress_only_internet_gateway_id)
        });
    }
    if let Some(list) = &mut d.nat_gateways {
        list.sort_by(|a, b| a.nat_gateway_id.cmp(&b.nat_gateway_id));
    }
    if let Some(list) = &mut d.vpn_gateways {
        list.sort_by(|a, b| a.vpn_gateway_id.cmp(&b.vpn_gateway_id));
    }
    if let Some(list) = &mut d.vpc_peering_connections {
        list.sort_by(|a, b| {
            a.vpc_peering_connection_id
                .cmp(&b.vpc_peering_connection_id)
        });
    }
}

/// DescribeVpnGateways has no pages: one call answers for the region.
async fn vpn_gateways<'a>(
    client: &aws_sdk_ec2::Client,
    call: &impl Fn(&'static str) -> super::errors::Call<'a>,
    pace: &Pacer,
    out: &mut RegionOutcome,
) {
    pace.wait().await;
    let (answer, attempts) = super::attempts::observed(client.describe_vpn_gateways().send()).await;
    out.requests += 1;
    match answer {
        Ok(page) => {
            out.data.vpn_gateways = Some(
                page.vpn_gateways()
                    .iter()
                    .map(|g| VpnGateway {
                        vpn_gateway_id: g.vpn_gateway_id().unwrap_or_default().to_string(),
                        state: g.state().map(|s| s.as_str().to_string()),
                        vpc_attachments: g
                            .vpc_attachments()
                            .iter()
                            .map(|a| attachment(a.vpc_id(), a.state().map(|s| s.as_str())))
                            .collect(),
                    })
                    .collect(),
            );
        }
        Err(e) => {
            let mut error = call("DescribeVpnGateways").failed(&e, &attempts);
            if super::errors::unreachable(&e) {
                out.mark_unreachable(&mut error);
            }
            out.errors.push(error);
        }
    }
}

fn nat_gateway(g: &ec2::NatGateway) -> NatGateway {
    NatGateway {
        nat_gateway_id: g.nat_gateway_id().unwrap_or_default().to_string(),
        vpc_id: g.vpc_id().unwrap_or_default().to_string(),
        subnet_id: g.subnet_id().map(str::to_string),
        state: g.state().map(|s| s.as_str().to_string()),
        connectivity_type: g.connectivity_type().map(|t| t.as_str().to_string()),
    }
}

fn peering(p: &ec2::VpcPeeringConnection) -> VpcPeeringConnection {
    let info = |i: Option<&ec2::VpcPeeringConnectionVpcInfo>| PeeringVpcInfo {
        vpc_id: i.and_then(|i| i.vpc_id()).map(str::to_string),
        owner_id: i.and_then(|i| i.owner_id()).map(str::to_string),
        region: i.and_then(|i| i.region()).map(str::to_string),
    };
    VpcPeeringConnection {
        vpc_peering_connection_id: p
            .vpc_peering_connection_id()
            .unwrap_or_default()
            .to_string(),
        requester_vpc_info: info(p.requester_vpc_info()),
        accepter_vpc_info: info(p.accepter_vpc_info()),
        status: PeeringStatus {
            code: p
                .status()
                .and_then(|s| s.code())
                .map(|c| c.as_str().to_string()),
        },
    }
}
