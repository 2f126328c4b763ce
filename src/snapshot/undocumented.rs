//! Values of the flow-log fields flowaudit judges that AWS does not document. They are kept
//! as read (a newer AWS may add one) and judged as not meeting the policy, never as
//! meeting it; each is named here so that a command can warn about it.

use crate::aws::{DELIVER_LOGS_STATUSES, FLOW_LOG_STATUSES, TRAFFIC_TYPES};

use super::Snapshot;

/// One line per undocumented value: "fl-0abc in 111122223333/eu-west-1: DeliverLogsStatus
/// `PENDING` is not one AWS documents (SUCCESS, FAILED)".
pub fn undocumented_values(snapshot: &Snapshot) -> Vec<String> {
    let mut found = Vec::new();
    for account in &snapshot.accounts {
        for region in &account.regions {
            for fl in &region.flow_logs {
                let fields: [(&str, Option<&str>, &[&str]); 3] = [
                    (
                        "FlowLogStatus",
                        fl.flow_log_status.as_deref(),
                        &FLOW_LOG_STATUSES,
                    ),
                    (
                        "DeliverLogsStatus",
                        fl.deliver_logs_status.as_deref(),
                        &DELIVER_LOGS_STATUSES,
                    ),
                    ("TrafficType", fl.traffic_type.as_deref(), &TRAFFIC_TYPES),
                ];
                for (field, value, known) in fields {
                    if let Some(value) = value.filter(|v| !known.contains(v)) {
                        found.push(format!(
                            "{} in {}/{}: {field} `{value}` is not one AWS documents ({}); it is judged as not meeting the policy",
                            fl.flow_log_id,
                            account.account_id,
                            region.region,
                            known.join(", ")
                        ));
                    }
                }
            }
        }
    }
    found
}
