//! The transit gateways judged for coverage: those a profile asks about, in their owner's
//! account, with their live attachments.

use std::collections::BTreeMap;

use super::estate::{Estate, RegionView};
use crate::findings::OutOfScope;
use crate::policy::{Policy, Profile, TransitGatewayCoverage};
use crate::snapshot::{TransitGateway, TransitGatewayAttachment};

/// A transit gateway whose coverage a profile asks for, judged in its owner's account.
pub struct ScopedGateway<'a> {
    /// Its index in `Context::gateways`.
    pub index: usize,
    pub view: &'a RegionView<'a>,
    pub gateway: &'a TransitGateway,
    pub profile: &'a Profile,
    /// `Gateway` or `Attachment`, never `Off`.
    pub coverage: TransitGatewayCoverage,
    /// Its live attachments, sorted by id; `None` when they were not listed.
    pub attachments: Option<Vec<&'a TransitGatewayAttachment>>,
}

impl<'a> ScopedGateway<'a> {
    pub fn account_id(&self) -> &'a str {
        self.view.account_id
    }
    pub fn region(&self) -> &'a str {
        &self.view.data.region
    }
    pub fn id(&self) -> &'a str {
        &self.gateway.transit_gateway_id
    }
    pub fn arn(&self) -> String {
        self.gateway.transit_gateway_arn.clone().unwrap_or_else(|| {
            format!(
                "arn:aws:ec2:{}:{}:transit-gateway/{}",
                self.region(),
                self.account_id(),
                self.id()
            )
        })
    }
    /// The gateway and its attachments: every resource whose flow logs count for it.
    pub(super) fn covering_resource_ids(&self) -> Vec<&'a str> {
        let mut ids = vec![self.id()];
        if let Some(attachments) = &self.attachments {
            ids.extend(
                attachments
                    .iter()
                    .map(|a| a.transit_gateway_attachment_id.as_str()),
            );
        }
        ids
    }
}

/// The transit gateways whose coverage a profile asks for, in account, region and id
/// order. A gateway shared from another account, or deleted, is noted as out of scope when
/// its profile asks for coverage; where coverage is off it is not judged at all.
pub(super) fn scoped_gateways<'a>(
    estate: &'a Estate<'a>,
    policy: &'a Policy,
    out_of_scope: &mut Vec<OutOfScope>,
) -> Vec<ScopedGateway<'a>> {
    let mut gateways = Vec::new();
    for view in estate.regions() {
        let region = view.data.region.as_str();
        let Some(listed) = &view.data.transit_gateways else {
            continue; // Unknown: the transit gateway rules report it where coverage is on.
        };
        let mut attachments: Option<BTreeMap<&str, Vec<&TransitGatewayAttachment>>> =
            view.data.transit_gateway_attachments.as_ref().map(|all| {
                let mut by_gateway: BTreeMap<&str, Vec<&TransitGatewayAttachment>> =
                    BTreeMap::new();
                for a in all.iter().filter(|a| attachment_is_live(a)) {
                    by_gateway
                        .entry(a.transit_gateway_id.as_str())
                        .or_default()
                        .push(a);
                }
                by_gateway
            });
        for gateway in listed {
            let Some(profile) = policy.profile_for_gateway(view.account_id, region, gateway) else {
                continue;
            };
            let coverage = profile
                .requirements
                .transit_gateways
                .as_ref()
                .map(|t| t.coverage)
                .unwrap_or_default();
            if coverage == TransitGatewayCoverage::Off {
                continue;
            }
            let skip = |reason: String| OutOfScope {
                resource_type: "transit-gateway".to_string(),
                resource_id: gateway.transit_gateway_id.clone(),
                account_id: view.account_id.to_string(),
                region: region.to_string(),
                reason,
            };
            if gateway.owner_id != view.account_id {
                out_of_scope.push(skip(format!(
                    "transit gateway shared by account {}; only its owner can log it, so it is judged there",
                    gateway.owner_id
                )));
                continue;
            }
            if matches!(gateway.state.as_deref(), Some("deleting" | "deleted")) {
                out_of_scope.push(skip(format!(
                    "transit gateway is {}",
                    gateway.state.as_deref().unwrap_or_default()
                )));
                continue;
            }
            let mine = attachments.as_mut().map(|by_gateway| {
                let mut list = by_gateway
                    .remove(gateway.transit_gateway_id.as_str())
                    .unwrap_or_default();
                list.sort_by(|a, b| {
                    a.transit_gateway_attachment_id
                        .cmp(&b.transit_gateway_attachment_id)
                });
                list
            });
            gateways.push(ScopedGateway {
                index: gateways.len(),
                view,
                gateway,
                profile,
                coverage,
                attachments: mine,
            });
        }
    }
    gateways
}

/// Whether an attachment can carry traffic, and so needs coverage.
fn attachment_is_live(attachment: &TransitGatewayAttachment) -> bool {
    !matches!(
        attachment.state.as_deref(),
        Some("deleted" | "deleting" | "failed" | "failing" | "rejected" | "rejecting")
    )
}
