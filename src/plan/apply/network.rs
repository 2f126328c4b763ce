//! VPCs, subnets and network interfaces: placed in their region, replaced by id, and a VPC
//! or subnet that is destroyed takes what is in it along.

use super::*;

impl Builder<'_> {
    /// After a VPC or subnet's record changed: when the one that was (`before`) is gone,
    /// its contents go with it.
    pub(super) fn remove_if_gone(
        &mut self,
        region: &str,
        before: Option<String>,
        kept: Option<&str>,
    ) {
        if let Some(gone) = before.filter(|b| Some(b.as_str()) != kept) {
            remove_contents(self.region_mut(region), &gone);
            self.destroyed.insert(gone);
        }
    }

    pub(super) fn vpcs(&mut self) {
        for i in self.of_type(&["aws_vpc", "aws_default_vpc"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let inst = self.inst(i);
            // Terraform forgets a default VPC it destroys, and leaves it in place, unless
            // force_destroy is set.
            let forgotten = inst.deleted()
                && inst.resource_type() == "aws_default_vpc"
                && inst.before("force_destroy").and_then(Value::as_bool) != Some(true);
            if forgotten {
                continue;
            }
            let record = (!inst.deleted()).then(|| Vpc {
                vpc_id: self.ids[i].clone(),
                cidr_block: inst.after_str("cidr_block").map(str::to_string),
                owner_id: self.account.clone(),
                is_default: inst.resource_type() == "aws_default_vpc",
                state: Some("available".to_string()),
                tags: tags(inst),
            });
            let kept = record.as_ref().map(|v| v.vpc_id.clone());
            let vpcs = &mut self.region_mut(&region).vpcs;
            upsert(vpcs, record, before.as_deref(), |v| &v.vpc_id);
            self.remove_if_gone(&region, before, kept.as_deref());
        }
    }

    pub(super) fn subnets(&mut self) {
        for i in self.of_type(&["aws_subnet"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let vpc = self.container(i, "vpc_id", &["aws_vpc", "aws_default_vpc"], "VPC");
            let record = vpc.map(|vpc_id| Subnet {
                subnet_id: id.clone(),
                vpc_id,
                availability_zone: self
                    .inst(i)
                    .after_str("availability_zone")
                    .map(str::to_string),
                cidr_block: self.inst(i).after_str("cidr_block").map(str::to_string),
                owner_id: Some(self.account.clone()),
                tags: tags(self.inst(i)),
            });
            let kept = record.as_ref().map(|s| s.subnet_id.clone());
            let subnets = &mut self.region_mut(&region).subnets;
            upsert(subnets, record, before.as_deref(), |s| &s.subnet_id);
            self.remove_if_gone(&region, before, kept.as_deref());
        }
    }

    pub(super) fn network_interfaces(&mut self) {
        for i in self.of_type(&["aws_network_interface"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let subnet = self.container(i, "subnet_id", &["aws_subnet"], "subnet");
            let record = subnet.map(|subnet_id| NetworkInterface {
                network_interface_id: id.as_str().into(),
                vpc_id: self
                    .snapshot_subnet_vpc(&region, &subnet_id)
                    .unwrap_or_default()
                    .into(),
                subnet_id: subnet_id.into(),
                interface_type: Some("interface".into()),
                requester_managed: false,
                status: Some("available".into()),
                description: None,
                owner_id: Some(self.account.as_str().into()),
                attachment: None,
            });
            let enis = &mut self.region_mut(&region).network_interfaces;
            upsert(enis, record, before.as_deref(), |e| &e.network_interface_id);
        }
    }

    pub(super) fn snapshot_subnet_vpc(&mut self, region: &str, subnet_id: &str) -> Option<String> {
        self.region_mut(region)
            .subnets
            .iter()
            .find(|s| s.subnet_id == subnet_id)
            .map(|s| s.vpc_id.clone())
    }
}

/// A VPC or subnet that is gone takes what is in it along: subnets and interfaces, and the
/// flow logs on any of them, which AWS deletes with their resource.
pub(super) fn remove_contents(region: &mut RegionSnapshot, container: &str) {
    let inside = |vpc: &str, subnet: &str| vpc == container || subnet == container;
    let mut gone: std::collections::BTreeSet<String> = [container.to_string()].into();
    gone.extend(
        region
            .subnets
            .iter()
            .filter(|s| s.vpc_id == container)
            .map(|s| s.subnet_id.clone()),
    );
    gone.extend(
        region
            .network_interfaces
            .iter()
            .filter(|e| inside(&e.vpc_id, &e.subnet_id))
            .map(|e| e.network_interface_id.to_string()),
    );
    region.subnets.retain(|s| s.vpc_id != container);
    region
        .network_interfaces
        .retain(|e| !inside(&e.vpc_id, &e.subnet_id));
    region.flow_logs.retain(|f| !gone.contains(&f.resource_id));
}
