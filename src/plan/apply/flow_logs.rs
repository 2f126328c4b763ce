//! Flow logs: the resource they are on, what they capture, where they deliver, and whether
//! that destination is in the plan or the existing estate.

use super::*;

impl Builder<'_> {
    pub(super) fn flow_logs(&mut self) {
        for i in self.of_type(&["aws_flow_log"]) {
            let region = self.regions[i].clone();
            let before = self.before_id(i, "id");
            let id = self.ids[i].clone();
            let base_record = before.as_ref().and_then(|b| {
                self.region_mut(&region)
                    .flow_logs
                    .iter()
                    .find(|f| &f.flow_log_id == b)
                    .cloned()
            });
            if self.inst(i).deleted() {
                let on = [
                    "vpc_id",
                    "subnet_id",
                    "eni_id",
                    "transit_gateway_id",
                    "transit_gateway_attachment_id",
                ]
                .iter()
                .find_map(|f| self.inst(i).before(f).and_then(Value::as_str))
                .unwrap_or("its resource")
                .to_string();
                let flow_log_id = before.clone().unwrap_or_else(|| id.clone());
                self.changes.push(PlanChange {
                    resource_id: on.clone(),
                    address: self.inst(i).address().to_string(),
                    change: format!(
                        "deletes flow log {flow_log_id} on {on}, taking away the coverage it gave"
                    ),
                });
                let flow_logs = &mut self.region_mut(&region).flow_logs;
                upsert(flow_logs, None, before.as_deref(), |f| &f.flow_log_id);
                if !self.resource_known(&region, &on) && !self.destroyed.contains(&on) {
                    let reason = format!(
                        "this plan deletes flow log {flow_log_id} on {}",
                        self.outside(&on, "what still covers it is unknown")
                    );
                    self.unknown(
                        i,
                        &on,
                        "coverage",
                        reason,
                        &["COV"],
                        Reach::Unplaced { coverage: false },
                    );
                }
                continue;
            }
            let Some(record) = self.flow_log(i, &id, &region, base_record) else {
                // Replaced by a log the plan cannot place: the one it replaces is gone all
                // the same.
                let flow_logs = &mut self.region_mut(&region).flow_logs;
                upsert(flow_logs, None, before.as_deref(), |f| &f.flow_log_id);
                continue;
            };
            self.check_destination(i, &record, &region);
            let flow_logs = &mut self.region_mut(&region).flow_logs;
            upsert(flow_logs, Some(record), before.as_deref(), |f| {
                &f.flow_log_id
            });
        }
    }

    /// The flow log's record, or `None` when the resource it is on cannot be placed.
    pub(super) fn flow_log(
        &mut self,
        i: usize,
        id: &str,
        region: &str,
        base: Option<FlowLog>,
    ) -> Option<FlowLog> {
        let resource_fields: [(&str, &[&str]); 5] = [
            ("vpc_id", &["aws_vpc", "aws_default_vpc"]),
            ("subnet_id", &["aws_subnet"]),
            ("eni_id", &["aws_network_interface"]),
            ("transit_gateway_id", &["aws_ec2_transit_gateway"]),
            (
                "transit_gateway_attachment_id",
                &["aws_ec2_transit_gateway_vpc_attachment"],
            ),
        ];
        let mut resource = None;
        for (field, wanted) in resource_fields {
            match self.target(i, field, wanted) {
                Target::Unset => continue,
                Target::Id(r) => resource = Some(r),
                Target::Unknown(reason) => {
                    self.unknown(
                        i,
                        id,
                        field,
                        reason,
                        FLOW_LOG_RULES,
                        Reach::Unplaced { coverage: true },
                    );
                    return None;
                }
            }
            break;
        }
        let Some(resource_id) = resource else {
            let reason = format!(
                "{} names no VPC, subnet, ENI or transit gateway the plan shows",
                self.inst(i).address()
            );
            self.unknown(
                i,
                id,
                "vpc_id",
                reason,
                FLOW_LOG_RULES,
                Reach::Unplaced { coverage: true },
            );
            return None;
        };
        if !self.resource_known(region, &resource_id) {
            let reason = self.outside(&resource_id, "nothing about this flow log can be judged");
            self.unknown(
                i,
                id,
                "resource",
                reason,
                FLOW_LOG_RULES,
                Reach::Unplaced { coverage: false },
            );
            return None;
        }
        let traffic = self.value(i, id, "traffic_type", &["FLS003"], true);
        let destination_type = self
            .value(i, id, "log_destination_type", DESTINATION_RULES, true)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "cloud-watch-logs".to_string());
        let (log_destination, log_group_name) = self.destination(i, id, region, &destination_type);
        let format = self.value(i, id, "log_format", &["FLS005"], false);
        let interval = self.value(i, id, "max_aggregation_interval", &["FLS004"], false);
        // The partition layout decides where objects land, and so which lifecycle rules
        // reach them: it belongs to the bucket's lifecycle findings.
        let layout_owner = match log_destination.as_deref().and_then(Destination::from_arn) {
            Some(Destination::Bucket { name }) => name,
            _ => id.to_string(),
        };
        let options = self.value(i, &layout_owner, "destination_options", &["S3L"], false);
        let inst = self.inst(i);
        Some(FlowLog {
            flow_log_id: id.to_string(),
            resource_id,
            traffic_type: traffic.and_then(|v| v.as_str().map(str::to_string)),
            log_destination_type: Some(destination_type),
            log_destination,
            log_group_name,
            deliver_logs_permission_arn: inst.after_str("iam_role_arn").map(str::to_string),
            deliver_cross_account_role: inst
                .after_str("deliver_cross_account_role")
                .map(str::to_string),
            // A new flow log starts ACTIVE; whether it delivers is known only once it runs,
            // so an existing log keeps what the estate last showed.
            flow_log_status: Some(
                base.as_ref()
                    .and_then(|b| b.flow_log_status.clone())
                    .unwrap_or_else(|| "ACTIVE".to_string()),
            ),
            deliver_logs_status: base.as_ref().and_then(|b| b.deliver_logs_status.clone()),
            deliver_logs_error_message: base
                .as_ref()
                .and_then(|b| b.deliver_logs_error_message.clone()),
            log_format: format.and_then(|v| v.as_str().map(str::to_string)),
            max_aggregation_interval: interval
                .and_then(|v| v.as_i64())
                .and_then(|v| i32::try_from(v).ok()),
            destination_options: options
                .as_ref()
                .and_then(first)
                .map(|o| DestinationOptions {
                    file_format: o
                        .get("file_format")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                    hive_compatible_partitions: o
                        .get("hive_compatible_partitions")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                    per_hour_partition: o
                        .get("per_hour_partition")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                }),
            tags: tags(inst),
            creation_time: base.and_then(|b| b.creation_time),
        })
    }

    /// LogDestination and LogGroupName of a flow log.
    pub(super) fn destination(
        &mut self,
        i: usize,
        id: &str,
        region: &str,
        destination_type: &str,
    ) -> (Option<String>, Option<String>) {
        let wanted: &[&str] = match destination_type {
            "s3" => &["aws_s3_bucket"],
            "kinesis-data-firehose" => &["aws_kinesis_firehose_delivery_stream"],
            _ => &["aws_cloudwatch_log_group"],
        };
        // The ARN a resource of the plan will have.
        let arn_of = |account: &str, name: &str| {
            let (account_id, region, name) =
                (account.to_string(), region.to_string(), name.to_string());
            match destination_type {
                "s3" => Destination::Bucket { name },
                "kinesis-data-firehose" => Destination::DeliveryStream {
                    account_id,
                    region,
                    name,
                },
                _ => Destination::LogGroup {
                    account_id,
                    region,
                    name,
                },
            }
            .arn()
        };
        let cloudwatch = wanted == ["aws_cloudwatch_log_group"];
        let mut attribute = "log_destination";
        let mut target = self.target(i, attribute, wanted);
        if cloudwatch && matches!(target, Target::Unset) {
            attribute = "log_group_name";
            target = self.target(i, attribute, wanted);
            if let Target::Id(name) = target {
                return (None, Some(name));
            }
        }
        match target {
            Target::Id(value) if value.starts_with("arn:") => (Some(value), None),
            Target::Id(name) => {
                // A reference to a resource: the ARN it will have. An S3 ARN may carry a
                // key prefix an expression adds, which the plan does not show.
                if destination_type == "s3" {
                    if self.index_strict() {
                        let reason = format!(
                            "`log_destination` of {} comes from bucket {name}, but the plan does not show whether the expression adds a key prefix to its ARN; --strict-references infers nothing",
                            self.inst(i).address()
                        );
                        self.unknown(i, &name, attribute, reason, &["S3L"], Reach::Own);
                    } else {
                        self.facts.inferences.push(PlanInference {
                            resource_ids: vec![id.to_string(), name.clone()],
                            address: self.inst(i).address().to_string(),
                            attribute: attribute.to_string(),
                            chain: vec![format!("{}.{attribute}", self.inst(i).address()), format!("arn:aws:s3:::{name} (no key prefix: an expression that adds one is not shown in the plan)")],
                        });
                    }
                }
                (
                    Some(arn_of(&self.account, &name)),
                    cloudwatch.then_some(name),
                )
            }
            Target::Unset => (None, None),
            Target::Unknown(reason) => {
                // Where it delivers can decide whether it counts for coverage
                // (`destinations.allowed_arns`).
                self.unknown(
                    i,
                    id,
                    attribute,
                    reason,
                    DESTINATION_RULES,
                    Reach::CoverageFailures,
                );
                (None, None)
            }
        }
    }

    pub(super) fn index_strict(&self) -> bool {
        self.index.is_strict()
    }

    /// A destination neither the plan nor the existing estate holds is unknown.
    pub(super) fn check_destination(&mut self, i: usize, flow_log: &FlowLog, region: &str) {
        let Ok(resolved) = crate::destination::resolve(flow_log, &self.account, region) else {
            return;
        };
        let destination = resolved.destination;
        let name = destination.resource_id().to_string();
        let (known, place_scanned) = match &destination {
            Destination::Bucket { name } => {
                (self.snapshot.buckets.iter().any(|b| &b.name == name), false)
            }
            Destination::LogGroup {
                account_id,
                region,
                name,
            } => (
                self.region_holds(account_id, region, |r| {
                    r.log_groups.iter().any(|g| &g.log_group_name == name)
                }),
                self.has_base
                    && self.snapshot.scope.accounts.contains(account_id)
                    && self.snapshot.scope.regions.contains(region),
            ),
            Destination::DeliveryStream {
                account_id,
                region,
                name,
            } => (
                self.region_holds(account_id, region, |r| {
                    r.delivery_streams
                        .iter()
                        .any(|s| &s.delivery_stream_name == name)
                }),
                false,
            ),
        };
        // A log group missing from a region the existing estate lists completely does not
        // exist: DST002 says so. Anything else missing is simply not shown.
        if known || place_scanned {
            return;
        }
        let reason = self.outside(
            &format!("{} {name}", destination.resource_type()),
            "it cannot be judged",
        );
        self.unknown(
            i,
            &name,
            "existence",
            reason.clone(),
            EXISTENCE_RULES,
            Reach::Own,
        );
        self.unknown(
            i,
            &flow_log.flow_log_id,
            "log_destination",
            reason,
            EXISTENCE_RULES,
            Reach::Own,
        );
    }
}
