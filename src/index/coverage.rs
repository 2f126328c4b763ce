//! What a coverage level leaves uncovered in a VPC: the one computation COV001-COV003 and
//! DST003 share, each with its own idea of which flow logs count.

use serde_json::{Value, json};

use super::context::{Context, ScopedFlowLog, ScopedVpc};
use std::collections::BTreeMap;

use crate::findings::CoverageCell;
use crate::policy::CoverageLevel;
use crate::snapshot::{NetworkInterface, Subnet};

/// What is left uncovered in a VPC at a coverage level, counting only logs that `counts`.
pub struct Gap<'a> {
    /// What the verdict was judged on: "vpc", "subnets" or "network interfaces".
    pub judged: &'static str,
    pub total: usize,
    pub uncovered_subnets: Vec<&'a Subnet>,
    pub uncovered_enis: Vec<&'a NetworkInterface>,
    pub vpc_uncovered: bool,
}

impl Gap<'_> {
    pub fn is_covered(&self) -> bool {
        !self.vpc_uncovered && self.uncovered_subnets.is_empty() && self.uncovered_enis.is_empty()
    }

    pub fn uncovered_ids(&self) -> Vec<String> {
        if self.vpc_uncovered {
            return vec!["the VPC itself".to_string()];
        }
        if !self.uncovered_enis.is_empty() {
            return self
                .uncovered_enis
                .iter()
                .map(|e| format!("{} ({})", e.network_interface_id, e.subnet_id))
                .collect();
        }
        self.uncovered_subnets
            .iter()
            .map(|s| s.subnet_id.clone())
            .collect()
    }

    pub fn evidence(&self) -> Value {
        json!({
            "judged": self.judged,
            "total": self.total,
            "vpc_uncovered": self.vpc_uncovered,
            "uncovered_subnets": self.uncovered_subnets.iter().map(|s| s.subnet_id.as_str()).collect::<Vec<_>>(),
            "uncovered_network_interfaces": self.uncovered_enis.iter().map(|e| json!({
                "NetworkInterfaceId": e.network_interface_id,
                "SubnetId": e.subnet_id,
                "InterfaceType": e.interface_type,
                "Description": e.description,
            })).collect::<Vec<_>>(),
        })
    }
}

/// What `level` leaves uncovered in `vpc`, counting only the scoped flow logs `counts`
/// accepts.
pub fn gap<'a>(
    ctx: &Context<'a>,
    vpc: &ScopedVpc<'a>,
    level: CoverageLevel,
    counts: &dyn Fn(&ScopedFlowLog) -> bool,
) -> Gap<'a> {
    let logged = |resource: &str| {
        ctx.logs_on(vpc, resource)
            .iter()
            .any(|&i| counts(&ctx.flow_logs[i]))
    };
    let vpc_logged = logged(vpc.id());
    let subnet_logged = |subnet_id: &str| vpc_logged || logged(subnet_id);
    let enis = vpc.network_interfaces();
    let subnets = vpc.subnets();
    let judge_vpc = Gap {
        judged: "vpc",
        total: 1,
        uncovered_subnets: vec![],
        uncovered_enis: vec![],
        vpc_uncovered: !vpc_logged,
    };
    let judge_subnets = || Gap {
        judged: "subnets",
        total: subnets.len(),
        uncovered_subnets: subnets
            .iter()
            .copied()
            .filter(|s| !subnet_logged(&s.subnet_id))
            .collect(),
        uncovered_enis: vec![],
        vpc_uncovered: false,
    };
    match level {
        CoverageLevel::Vpc => judge_vpc,
        CoverageLevel::Subnet | CoverageLevel::Eni if subnets.is_empty() && enis.is_empty() => {
            judge_vpc
        }
        CoverageLevel::Subnet => judge_subnets(),
        CoverageLevel::Eni if enis.is_empty() => judge_subnets(),
        CoverageLevel::Eni => Gap {
            judged: "network interfaces",
            total: enis.len(),
            uncovered_subnets: vec![],
            uncovered_enis: enis
                .iter()
                .copied()
                .filter(|e| !subnet_logged(&e.subnet_id) && !logged(&e.network_interface_id))
                .collect(),
            vpc_uncovered: false,
        },
    }
}

/// ENI coverage per scanned (account, region): every ENI of a judged VPC, and those a
/// qualifying flow log reaches. Places in scope with no ENIs are listed with zero.
pub fn cells(ctx: &Context) -> Vec<CoverageCell> {
    let scope = &ctx.estate.snapshot.scope;
    let mut cells: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for account in &scope.accounts {
        for region in &scope.regions {
            cells.insert((account.as_str(), region.as_str()), (0, 0));
        }
    }
    for vpc in &ctx.vpcs {
        let enis = vpc.network_interfaces().len();
        if enis == 0 {
            continue;
        }
        let uncovered = gap(ctx, vpc, CoverageLevel::Eni, &|f| f.qualification.counts())
            .uncovered_enis
            .len();
        let cell = cells.entry((vpc.account_id(), vpc.region())).or_default();
        cell.0 += enis;
        cell.1 += enis - uncovered;
    }
    cells
        .into_iter()
        .map(|((account, region), (enis, covered))| CoverageCell {
            account_id: account.to_string(),
            region: region.to_string(),
            network_interfaces: enis,
            covered,
        })
        .collect()
}
