//! CloudWatch Logs groups: retention (0 means never expire), KMS key, class and deletion
//! protection, and the retention changes the plan makes.

use super::*;

impl Builder<'_> {
    pub(super) fn log_groups(&mut self) {
        for i in self.of_type(&["aws_cloudwatch_log_group"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "name");
            let name = self.ids[i].clone();
            // A name chosen at apply (name_prefix, or one built from an id) decides no rule:
            // the group is known by its address until then.
            let record = if self.inst(i).deleted() {
                None
            } else {
                let retention = self.value(
                    i,
                    &name,
                    "retention_in_days",
                    &["CWL001", "CWL002", "CWL003"],
                    false,
                );
                let kms = self.value(i, &name, "kms_key_id", &["SEC003"], false);
                let kms_set = kms.is_some()
                    || self.inst(i).unknown("kms_key_id") && self.configured(i, "kms_key_id");
                let class = self.value(i, &name, "log_group_class", &["CWL"], false);
                let protection =
                    self.value(i, &name, "deletion_protection_enabled", &["CWL005"], false);
                Some(LogGroup {
                    log_group_name: name.clone(),
                    arn: Some(format!(
                        "arn:aws:logs:{region}:{}:log-group:{name}",
                        self.account
                    )),
                    // 0 means never expire: the API then has no retention at all.
                    retention_in_days: retention
                        .and_then(|v| v.as_i64())
                        .filter(|d| *d > 0)
                        .and_then(|d| i32::try_from(d).ok()),
                    kms_key_id: kms_set.then(|| {
                        kms.and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_else(|| "(known after apply)".to_string())
                    }),
                    stored_bytes: None,
                    creation_time: None,
                    log_group_class: class.and_then(|v| v.as_str().map(str::to_string)),
                    deletion_protection_enabled: protection.and_then(|v| v.as_bool()),
                    data_protection_status: None,
                    inherited_properties: vec![],
                })
            };
            self.retention_change(i, &name);
            let groups = &mut self.region_mut(&region).log_groups;
            upsert(groups, record, before.as_deref(), |g| &g.log_group_name);
        }
    }

    /// "shortens retention of X from 30 to 7 days", from the plan's own before and after.
    pub(super) fn retention_change(&mut self, i: usize, name: &str) {
        let inst = self.inst(i);
        if inst.change.change.before.is_none()
            || inst.deleted()
            || inst.unknown("retention_in_days")
        {
            return;
        }
        let days = |v: Option<&Value>| v.and_then(Value::as_i64).filter(|d| *d > 0);
        let (old, new) = (
            days(inst.before("retention_in_days")),
            days(inst.after("retention_in_days")),
        );
        let text = |d: Option<i64>| d.map_or("never expire".to_string(), |d| format!("{d} days"));
        let verb = match (old, new) {
            (a, b) if a == b => return,
            (Some(a), Some(b)) if b < a => "shortens",
            (None, Some(_)) => "shortens",
            _ => "lengthens",
        };
        self.changes.push(PlanChange {
            resource_id: name.to_string(),
            address: inst.address().to_string(),
            change: format!(
                "{verb} retention of log group {name} from {} to {}",
                text(old),
                text(new)
            ),
        });
    }
}
