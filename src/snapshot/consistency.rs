//! A region's listings checked against each other.
//!
//! An ENI names its subnet and VPC, a subnet its VPC, a flow log the resource it is on. When
//! a named resource is missing from its own listing, that listing is incomplete: an answer
//! was cut short, or the resources changed between calls (AWS removes the flow logs of a
//! deleted VPC, subnet or ENI only "eventually", so a scan can see one whose resource is
//! gone). Judging such a region would let a VPC pass on the ENIs that happened to be listed,
//! so each gap becomes a collection error for the region, never "out of scope"; a rescan
//! clears one that came from timing.

use std::collections::{BTreeMap, HashSet};

/// Lookup-only sets of ids; a fast hasher, since these hold every ENI id of a region.
type IdSet<'a> = HashSet<&'a str, foldhash::fast::RandomState>;

use super::{CollectionError, RegionSnapshot};

/// The error code of a listing that lacks resources other listings name.
pub const INCOMPLETE_LISTING: &str = "IncompleteListing";

/// How many missing ids a message names before it gives a count.
const NAMED: usize = 5;

/// One collection error per listing that lacks resources named elsewhere in the region.
pub fn listing_gaps(account_id: &str, region: &RegionSnapshot) -> Vec<CollectionError> {
    let vpcs: IdSet = region.vpcs.iter().map(|v| v.vpc_id.as_str()).collect();
    let subnets: IdSet = region
        .subnets
        .iter()
        .map(|s| s.subnet_id.as_str())
        .collect();
    let enis: IdSet = region
        .network_interfaces
        .iter()
        .map(|e| e.network_interface_id.as_str())
        .collect();

    // operation -> missing id -> who named it
    let mut missing: BTreeMap<&'static str, BTreeMap<&str, &str>> = BTreeMap::new();
    for s in &region.subnets {
        if !vpcs.contains(s.vpc_id.as_str()) {
            missing
                .entry("DescribeVpcs")
                .or_default()
                .entry(s.vpc_id.as_str())
                .or_insert(s.subnet_id.as_str());
        }
    }
    for e in &region.network_interfaces {
        if !e.vpc_id.is_empty() && !vpcs.contains(e.vpc_id.as_str()) {
            missing
                .entry("DescribeVpcs")
                .or_default()
                .entry(e.vpc_id.as_str())
                .or_insert(e.network_interface_id.as_str());
        }
        if !e.subnet_id.is_empty() && !subnets.contains(e.subnet_id.as_str()) {
            missing
                .entry("DescribeSubnets")
                .or_default()
                .entry(e.subnet_id.as_str())
                .or_insert(e.network_interface_id.as_str());
        }
    }
    for f in &region.flow_logs {
        let id = f.resource_id.as_str();
        let (operation, listed) = if id.starts_with("vpc-") {
            ("DescribeVpcs", &vpcs)
        } else if id.starts_with("subnet-") {
            ("DescribeSubnets", &subnets)
        } else if id.starts_with("eni-") {
            ("DescribeNetworkInterfaces", &enis)
        } else {
            continue; // Transit Gateway resources are not listed here.
        };
        if !listed.contains(id) {
            missing
                .entry(operation)
                .or_default()
                .entry(id)
                .or_insert(f.flow_log_id.as_str());
        }
    }

    missing
        .into_iter()
        .map(|(operation, ids)| {
            let named: Vec<String> = ids
                .iter()
                .take(NAMED)
                .map(|(id, by)| format!("{id} (named by {by})"))
                .collect();
            let more = if ids.len() > NAMED {
                format!(" and {} more", ids.len() - NAMED)
            } else {
                String::new()
            };
            CollectionError {
                account_id: account_id.to_string(),
                region: region.region.clone(),
                service: "ec2".to_string(),
                operation: operation.to_string(),
                code: INCOMPLETE_LISTING.to_string(),
                message: format!(
                    "{operation} did not list {}{more}; the region's listings disagree, so its coverage \
                     cannot be judged (an answer was cut short, or resources changed between calls: AWS \
                     removes the flow logs of a deleted resource only eventually)",
                    named.join(", ")
                ),
                resource_id: None,
            }
        })
        .collect()
}
