//! What connects each VPC outside itself (internet, NAT, VPN, transit gateway, peering),
//! read from the region's connectivity listings, for profiles that select VPCs by it.

use std::collections::BTreeSet;

use super::FastMap;
use super::errors::{ErrorIndex, describe};
use super::estate::RegionView;
use crate::policy::Connectivity;

/// The EC2 listings connectivity is read from.
pub const CONNECTIVITY_OPERATIONS: [&str; 6] = [
    "DescribeInternetGateways",
    "DescribeEgressOnlyInternetGateways",
    "DescribeNatGateways",
    "DescribeVpnGateways",
    "DescribeVpcPeeringConnections",
    "DescribeTransitGatewayAttachments",
];

/// Each VPC's connections in one account and region, or why they are not known: a listing
/// absent from the snapshot, or one that failed.
pub fn of_region<'a>(
    view: &RegionView<'a>,
    errors: &ErrorIndex<'a>,
) -> Result<FastMap<&'a str, BTreeSet<Connectivity>>, String> {
    let failed = errors.listing(
        view.account_id,
        &view.data.region,
        "ec2",
        &CONNECTIVITY_OPERATIONS,
    );
    if !failed.is_empty() {
        return Err(format!(
            "its connectivity could not be listed: {}",
            describe(&failed)
        ));
    }
    let d = view.data;
    let (Some(internet), Some(egress_only), Some(nat), Some(vpn), Some(peering), Some(attachments)) = (
        &d.internet_gateways,
        &d.egress_only_internet_gateways,
        &d.nat_gateways,
        &d.vpn_gateways,
        &d.vpc_peering_connections,
        &d.transit_gateway_attachments,
    ) else {
        return Err(
            "the snapshot holds no connectivity listings for its region (collect with --connectivity)"
                .to_string(),
        );
    };
    let mut by_vpc: FastMap<&'a str, BTreeSet<Connectivity>> = FastMap::default();
    let mut add = |vpc: &'a str, kind| {
        by_vpc.entry(vpc).or_default().insert(kind);
    };
    let attached = internet
        .iter()
        .flat_map(|g| &g.attachments)
        .chain(egress_only.iter().flat_map(|g| &g.attachments));
    for a in attached.filter(|a| a.is_live()) {
        add(&a.vpc_id, Connectivity::Internet);
    }
    for g in nat {
        if !matches!(g.state.as_deref(), Some("deleting" | "deleted" | "failed")) {
            add(&g.vpc_id, Connectivity::Nat);
        }
    }
    for g in vpn {
        if !matches!(g.state.as_deref(), Some("deleting" | "deleted")) {
            for a in g.vpc_attachments.iter().filter(|a| a.is_live()) {
                add(&a.vpc_id, Connectivity::Vpn);
            }
        }
    }
    for a in attachments {
        let live = !matches!(
            a.state.as_deref(),
            Some("deleted" | "deleting" | "failed" | "failing" | "rejected" | "rejecting")
        );
        if let (Some("vpc"), Some(vpc), true) = (a.resource_type.as_deref(), &a.resource_id, live) {
            add(vpc, Connectivity::TransitGateway);
        }
    }
    for p in peering
        .iter()
        .filter(|p| p.status.code.as_deref() == Some("active"))
    {
        for side in [&p.requester_vpc_info, &p.accepter_vpc_info] {
            if let Some(vpc) = &side.vpc_id {
                add(vpc, Connectivity::Peering);
            }
        }
    }
    Ok(by_vpc)
}
