//! What a plan connects its VPCs to: internet and egress-only internet gateways, NAT
//! gateways, virtual private gateways and their attachments, and peering connections, laid
//! into the planned estate's connectivity listings for profiles that select VPCs by them.
//! Transit gateway attachments are placed with the gateways (see `apply`).
//!
//! A listing the existing estate lacks stays absent, so that connectivity there stays
//! unknown: a plan shows only its own resources. A planned peering connection is taken as
//! active, whether or not it is accepted yet: the stricter reading.

use super::{Builder, Reach, Target, upsert};
use crate::snapshot::{
    EgressOnlyInternetGateway, InternetGateway, NatGateway, PeeringStatus, PeeringVpcInfo,
    RegionSnapshot, VpcAttachment, VpcPeeringConnection, VpnGateway,
};

const VPC_TYPES: &[&str] = &["aws_vpc", "aws_default_vpc"];

impl Builder<'_> {
    pub(super) fn connectivity(&mut self) {
        for i in self.of_type(&["aws_internet_gateway", "aws_internet_gateway_attachment"]) {
            let attachments = self.attachments(i);
            let record = |id: String| InternetGateway {
                internet_gateway_id: id,
                attachments,
            };
            self.place(
                i,
                record,
                |r| &mut r.internet_gateways,
                |g| &g.internet_gateway_id,
            );
        }
        for i in self.of_type(&["aws_egress_only_internet_gateway"]) {
            let attachments = self.attachments(i);
            let record = |id: String| EgressOnlyInternetGateway {
                egress_only_internet_gateway_id: id,
                attachments,
            };
            self.place(
                i,
                record,
                |r| &mut r.egress_only_internet_gateways,
                |g| &g.egress_only_internet_gateway_id,
            );
        }
        for i in self.of_type(&["aws_vpn_gateway", "aws_vpn_gateway_attachment"]) {
            let vpc_attachments = self.attachments(i);
            let record = |id: String| VpnGateway {
                vpn_gateway_id: id,
                state: Some("available".to_string()),
                vpc_attachments,
            };
            self.place(i, record, |r| &mut r.vpn_gateways, |g| &g.vpn_gateway_id);
        }
        for i in self.of_type(&["aws_nat_gateway"]) {
            let region = self.regions[i].clone();
            let subnet = self.container(i, "subnet_id", &["aws_subnet"], "subnet");
            let vpc = subnet
                .as_deref()
                .and_then(|s| self.snapshot_subnet_vpc(&region, s));
            if let Some(vpc) = &vpc {
                self.touch(i, vpc);
            }
            let connectivity_type = self
                .inst(i)
                .known_str("connectivity_type")
                .map(str::to_string);
            let record = vpc.map(|vpc_id| {
                move |id: String| NatGateway {
                    nat_gateway_id: id,
                    vpc_id,
                    subnet_id: subnet,
                    state: Some("available".to_string()),
                    connectivity_type,
                }
            });
            match record {
                Some(record) => {
                    self.place(i, record, |r| &mut r.nat_gateways, |g| &g.nat_gateway_id)
                }
                None => self.remove(i, |r| &mut r.nat_gateways, |g| &g.nat_gateway_id),
            }
        }
        for i in self.of_type(&["aws_vpc_peering_connection"]) {
            let sides = [
                self.attached_vpc(i, "vpc_id"),
                self.attached_vpc(i, "peer_vpc_id"),
            ];
            let info = |vpc: &Option<String>| PeeringVpcInfo {
                vpc_id: vpc.clone(),
                owner_id: None,
                region: None,
            };
            let record = |id: String| VpcPeeringConnection {
                vpc_peering_connection_id: id,
                requester_vpc_info: info(&sides[0]),
                accepter_vpc_info: info(&sides[1]),
                status: PeeringStatus {
                    code: Some("active".to_string()),
                },
            };
            self.place(
                i,
                record,
                |r| &mut r.vpc_peering_connections,
                |p| &p.vpc_peering_connection_id,
            );
        }
    }

    /// A gateway's attachment to the VPC its `vpc_id` names, if any.
    fn attachments(&mut self, i: usize) -> Vec<VpcAttachment> {
        self.attached_vpc(i, "vpc_id")
            .map(|vpc_id| VpcAttachment {
                vpc_id,
                state: Some("attached".to_string()),
            })
            .into_iter()
            .collect()
    }

    /// The VPC a gateway or peering attribute names. A VPC the plan cannot name is
    /// unknown, and stands alone: it could be any VPC of the region.
    /// A deleted gateway names its VPC from `before`: the plan changes that VPC's
    /// connectivity, and attaches nothing.
    fn attached_vpc(&mut self, i: usize, attribute: &str) -> Option<String> {
        let deleted = self.inst(i).deleted();
        match self.target(i, attribute, VPC_TYPES) {
            Target::Id(vpc) => {
                self.touch(i, &vpc);
                (!deleted).then_some(vpc)
            }
            Target::Unset => None,
            Target::Unknown(reason) => {
                let id = self.ids[i].clone();
                self.unknown(
                    i,
                    &id,
                    attribute,
                    reason,
                    &["COV", "COL005"],
                    Reach::Unplaced { coverage: false },
                );
                None
            }
        }
    }

    /// Lays a gateway's record into its region's listing, replacing what it was before;
    /// a deleted one is removed. A listing the existing estate lacks stays absent.
    fn place<T>(
        &mut self,
        i: usize,
        record: impl FnOnce(String) -> T,
        list: impl Fn(&mut RegionSnapshot) -> &mut Option<Vec<T>>,
        id: impl Fn(&T) -> &str,
    ) {
        if self.inst(i).deleted() {
            return self.remove(i, list, id);
        }
        let region = self.regions[i].clone();
        let before = self.before_id(i, "id");
        let record = record(self.ids[i].clone());
        if let Some(items) = list(self.region_mut(&region)) {
            upsert(items, Some(record), before.as_deref(), id);
        }
    }

    fn remove<T>(
        &mut self,
        i: usize,
        list: impl Fn(&mut RegionSnapshot) -> &mut Option<Vec<T>>,
        id: impl Fn(&T) -> &str,
    ) {
        let region = self.regions[i].clone();
        let before = self.before_id(i, "id");
        if let Some(items) = list(self.region_mut(&region)) {
            upsert(items, None, before.as_deref(), id);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::snapshot::VpcAttachment;

    #[test]
    fn detached_attachments_do_not_connect() {
        let attached = |state: &str| VpcAttachment {
            vpc_id: "vpc-1".into(),
            state: Some(state.into()),
        };
        assert!(attached("available").is_live());
        assert!(attached("attached").is_live());
        assert!(!attached("detached").is_live());
    }
}
