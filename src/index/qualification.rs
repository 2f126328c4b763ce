//! Whether each scoped flow log counts toward coverage, judged once for every rule to read.
//!
//! A flow log counts when it records something (ACTIVE, and delivering where the policy
//! requires it) to a destination the policy allows (`destinations.allowed_arns`) and
//! captures a traffic type the policy accepts. One exception, decided on
//! purpose: where the policy accepts ALL, an ACCEPT log and a REJECT log on the same
//! resource, both working, together record every accepted and every rejected flow, which is
//! what ALL records, so each counts (FLS003 documents it).

use super::FastMap;
use crate::aws::{Delivery, FlowLogResource, TRAFFIC_TYPES, TrafficType};
use crate::policy::Profile;
use crate::snapshot::FlowLog;

/// One flow log's qualification under its VPC's profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Qualification {
    /// Why it counts for nothing whatever its traffic type: not ACTIVE, delivery failing
    /// where the policy requires delivery to succeed, or a destination `allowed_arns` does
    /// not allow.
    pub inactive: Option<String>,
    /// The policy accepts its traffic type (or accepts any).
    pub traffic_accepted: bool,
    /// The working log on the same resource that completes it to ALL traffic, if it needs
    /// one and has one (an index into `Context::flow_logs`).
    pub complement: Option<usize>,
    /// The same, among logs of its own destination type (for `destinations.required`).
    pub complement_same_type: Option<usize>,
    /// Why it does not count toward coverage, if it does not.
    pub disqualification: Option<String>,
}

impl Qualification {
    /// Whether it counts toward coverage.
    pub fn counts(&self) -> bool {
        self.disqualification.is_none()
    }

    /// Whether it counts toward coverage by its own destination type.
    pub fn counts_within_type(&self) -> bool {
        self.inactive.is_none() && (self.traffic_accepted || self.complement_same_type.is_some())
    }
}

/// Why a flow log records nothing, whatever its traffic type, if it does not.
fn inactive(flow_log: &FlowLog, profile: &Profile) -> Option<String> {
    let status = flow_log.flow_log_status.as_deref().unwrap_or("unknown");
    if status != "ACTIVE" {
        return Some(format!("FlowLogStatus is {status}, not ACTIVE"));
    }
    let require_delivery = profile
        .requirements
        .flow_logs
        .as_ref()
        .is_some_and(|r| r.require_delivery_success);
    if !require_delivery {
        return None;
    }
    // An error message means the log is not delivering, whatever the status says or omits;
    // a status AWS does not document is never taken for success. No status and no message
    // still counts: FLS002 reports that delivery could not be confirmed.
    match Delivery::of(
        flow_log.deliver_logs_status.as_deref(),
        flow_log.deliver_logs_error_message.as_deref(),
    ) {
        Delivery::Failing(why) => Some(format!("delivery FAILED: {why}")),
        Delivery::UnknownStatus(status) => Some(format!(
            "DeliverLogsStatus {status} is not one AWS documents (SUCCESS, FAILED), so it is not taken for delivering"
        )),
        Delivery::Succeeding | Delivery::Unconfirmed => None,
    }
}

/// Why a flow log's destination is not one the policy allows, if it is not. `arn` is what
/// `destination::matched_arn` gives.
pub fn not_allowed(arn: Option<&str>, profile: &Profile) -> Option<String> {
    let patterns = &profile.requirements.destinations.as_ref()?.allowed_arns;
    if patterns.is_empty() {
        return None;
    }
    let listed = || {
        patterns
            .iter()
            .map(|p| p.pattern.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match arn {
        Some(arn) if patterns.iter().any(|p| p.matches(arn)) => None,
        Some(arn) => Some(format!(
            "destination {arn} is not one destinations.allowed_arns allows ({})",
            listed()
        )),
        None => Some(format!(
            "it names no destination ARN for destinations.allowed_arns ({}) to allow",
            listed()
        )),
    }
}

/// Judges every flow log. `logs` gives each log, its VPC's profile and the ARN its
/// destination is matched by, in `Context::flow_logs` order; `siblings` maps each log to
/// the logs on the same resource (itself included).
pub fn judge(
    logs: &[(&FlowLog, &Profile, Option<String>)],
    siblings: &[&[usize]],
) -> Vec<Qualification> {
    let inactive: Vec<Option<String>> = logs
        .iter()
        .map(|(fl, p, arn)| inactive(fl, p).or_else(|| not_allowed(arn.as_deref(), p)))
        .collect();
    logs.iter()
        .enumerate()
        .map(|(i, (fl, profile, _))| {
            let accepted = profile
                .requirements
                .flow_logs
                .as_ref()
                .map(|r| r.traffic_types.as_slice())
                .unwrap_or_default();
            let traffic = fl.traffic_type.as_deref().unwrap_or("unknown");
            // Transit gateway logs have no traffic type: they record every flow. A value AWS
            // does not document is never accepted, even where the policy accepts any.
            let traffic_accepted = FlowLogResource::of(&fl.resource_id).is_transit_gateway()
                || (accepted.is_empty() && TRAFFIC_TYPES.contains(&traffic))
                || accepted.iter().any(|t| t.as_str() == traffic);
            let wants_pair = !traffic_accepted && accepted.contains(&TrafficType::All);
            let other = match traffic {
                "ACCEPT" => Some("REJECT"),
                "REJECT" => Some("ACCEPT"),
                _ => None,
            };
            let completes = |j: &usize, same_type: bool| {
                let (s, _, _) = &logs[*j];
                *j != i
                    && inactive[*j].is_none()
                    && s.traffic_type.as_deref() == other
                    && (!same_type || s.log_destination_type == fl.log_destination_type)
            };
            let (complement, complement_same_type) = if wants_pair {
                (
                    siblings[i].iter().find(|j| completes(j, false)).copied(),
                    siblings[i].iter().find(|j| completes(j, true)).copied(),
                )
            } else {
                (None, None)
            };
            let disqualification = match &inactive[i] {
                Some(reason) => Some(reason.clone()),
                None if traffic_accepted || complement.is_some() => None,
                None => {
                    let names: Vec<&str> = accepted.iter().map(|t| t.as_str()).collect();
                    Some(format!(
                        "TrafficType {traffic} is not accepted (policy accepts {})",
                        names.join(", ")
                    ))
                }
            };
            Qualification {
                inactive: inactive[i].clone(),
                traffic_accepted,
                complement,
                complement_same_type,
                disqualification,
            }
        })
        .collect()
}

/// Groups log indices by holder slot, then resource id. `logs` gives (index, slot,
/// resource).
pub fn by_resource<'a>(
    slots: usize,
    logs: impl Iterator<Item = (usize, usize, &'a str)>,
) -> Vec<FastMap<&'a str, Vec<usize>>> {
    let mut maps: Vec<FastMap<&'a str, Vec<usize>>> = vec![FastMap::default(); slots];
    for (index, slot, resource) in logs {
        maps[slot].entry(resource).or_default().push(index);
    }
    maps
}
