//! The incident runbook: for each flow-log destination, what a responder needs to query the
//! logs there. For S3, an Athena table matching the flow logs' actual fields, file format
//! and key layout, with partition projection over account, region and date; for CloudWatch
//! Logs, Logs Insights queries (the default format's discovered fields, or a `parse` of a
//! custom one). Each says which days are there to query, from the retention that applies.
//! Pure: the snapshot, the evaluation (when a policy is given) and the date are inputs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::Serialize;

use crate::aws::{DEFAULT_LOG_FIELDS, DELIVERY_CLASS_RETENTION_DAYS, LogGroupClass, record_fields};
use crate::destination::{self, Destination};
use crate::findings::Finding;
use crate::lifecycle;
use crate::snapshot::{Bucket, FlowLog, Snapshot};

/// The Athena type of a flow-log field (AWS's flow-log record documentation, versions 2 to
/// 8, the ECS fields, and the transit gateway fields).
fn athena_type(field: &str) -> &'static str {
    match field {
        "version" | "srcport" | "dstport" | "tcp-flags" | "traffic-path" => "int",
        "protocol" | "packets" | "bytes" | "start" | "end" => "bigint",
        f if f.starts_with("packets-lost-") => "bigint",
        _ => "string",
    }
}

/// A field's column name: Athena and Logs Insights take no hyphens.
fn column(field: &str) -> String {
    field.replace('-', "_")
}

/// A column as written in DDL and SQL: `end` is reserved.
fn quoted(field: &str) -> String {
    match column(field).as_str() {
        "end" => "`end`".to_string(),
        c => c.to_string(),
    }
}

/// The field names Logs Insights discovers in the default format.
fn discovered(field: &str) -> Option<&'static str> {
    Some(match field {
        "version" => "version",
        "account-id" => "accountId",
        "interface-id" => "interfaceId",
        "srcaddr" => "srcAddr",
        "dstaddr" => "dstAddr",
        "srcport" => "srcPort",
        "dstport" => "dstPort",
        "protocol" => "protocol",
        "packets" => "packets",
        "bytes" => "bytes",
        "start" => "start",
        "end" => "end",
        "action" => "action",
        "log-status" => "logStatus",
        _ => return None,
    })
}

/// The fields a flow log's records carry.
fn fields(flow_log: &FlowLog) -> Vec<String> {
    record_fields(flow_log.log_format.as_deref(), &flow_log.resource_id)
}

#[derive(Debug, Clone, Serialize)]
pub struct Query {
    pub title: String,
    pub text: String,
}

/// One S3 table: flow logs that share a bucket, key prefix, layout, file format and fields.
#[derive(Debug, Clone, Serialize)]
pub struct S3Table {
    pub bucket: String,
    /// The prefix configured on the flow logs' destination, or empty.
    pub key_prefix: String,
    pub file_format: String,
    pub hive_compatible_partitions: bool,
    pub per_hour_partition: bool,
    pub fields: Vec<String>,
    pub accounts: Vec<String>,
    pub regions: Vec<String>,
    pub flow_logs: Vec<String>,
    pub table: String,
    pub ddl: String,
    pub queries: Vec<Query>,
    /// What can be queried, per account and region subtree.
    pub available: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogGroupQueries {
    pub account_id: String,
    pub region: String,
    pub log_group: String,
    pub fields: Vec<String>,
    /// A custom format: fields are parsed from the message.
    pub custom_format: bool,
    pub flow_logs: Vec<String>,
    pub queries: Vec<Query>,
    pub available: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Runbook {
    pub evaluated_on: String,
    pub s3: Vec<S3Table>,
    pub cloudwatch: Vec<LogGroupQueries>,
    /// Destinations left out, and why.
    pub left_out: Vec<String>,
}

#[derive(Default)]
struct S3Group {
    accounts: BTreeSet<String>,
    regions: BTreeSet<String>,
    flow_logs: BTreeSet<String>,
}

type S3Key = (String, String, String, bool, bool, Vec<String>);

/// Builds the runbook. `findings`, from an evaluation under a policy, leaves out every
/// destination (or S3 subtree) that failed or could not be evaluated.
pub fn build(snapshot: &Snapshot, findings: Option<&[Finding]>, today: NaiveDate) -> Runbook {
    let failing: BTreeSet<&str> = findings
        .into_iter()
        .flatten()
        .filter(|f| f.status.is_problem())
        .map(|f| f.resource_id.as_str())
        .collect();
    let buckets: BTreeMap<&str, &Bucket> = snapshot
        .buckets
        .iter()
        .map(|b| (b.name.as_str(), b))
        .collect();
    let mut s3: BTreeMap<S3Key, S3Group> = BTreeMap::new();
    let mut groups: BTreeMap<(String, String, String, Vec<String>), BTreeSet<String>> =
        BTreeMap::new();
    let mut left_out = BTreeSet::new();
    for account in &snapshot.accounts {
        for region in &account.regions {
            for fl in &region.flow_logs {
                let Ok(resolved) = destination::resolve(fl, &account.account_id, &region.region)
                else {
                    continue;
                };
                match &resolved.destination {
                    Destination::Bucket { name } => {
                        let options = fl.destination_options.as_ref();
                        let hive = options.is_some_and(|o| o.hive_compatible_partitions);
                        let subtree = format!(
                            "{name}/{}",
                            destination::flow_log_key_prefix(
                                &resolved.key_prefix,
                                &account.account_id,
                                &region.region,
                                hive
                            )
                        );
                        let exists = buckets.get(name.as_str()).and_then(|b| b.exists);
                        if exists != Some(true)
                            || failing.contains(name.as_str())
                            || failing.contains(subtree.as_str())
                        {
                            left_out.insert(format!(
                                "s3://{subtree}: {}",
                                if exists == Some(true) {
                                    "a finding failed or could not be evaluated there"
                                } else {
                                    "the bucket does not exist or could not be read"
                                }
                            ));
                            continue;
                        }
                        let key = (
                            name.clone(),
                            resolved.key_prefix.clone(),
                            options
                                .and_then(|o| o.file_format.clone())
                                .unwrap_or_else(|| "plain-text".to_string()),
                            hive,
                            options.is_some_and(|o| o.per_hour_partition),
                            fields(fl),
                        );
                        let g = s3.entry(key).or_default();
                        g.accounts.insert(account.account_id.clone());
                        g.regions.insert(region.region.clone());
                        g.flow_logs.insert(fl.flow_log_id.clone());
                    }
                    Destination::LogGroup {
                        account_id,
                        region: group_region,
                        name,
                    } => {
                        if failing.contains(name.as_str()) {
                            left_out.insert(format!(
                                "log group {name} ({account_id} {group_region}): a finding failed or could not be evaluated there"
                            ));
                            continue;
                        }
                        groups
                            .entry((
                                account_id.clone(),
                                group_region.clone(),
                                name.clone(),
                                fields(fl),
                            ))
                            .or_default()
                            .insert(fl.flow_log_id.clone());
                    }
                    Destination::DeliveryStream { name, .. } => {
                        left_out.insert(format!(
                            "delivery stream {name}: Firehose passes the records on; query them where the stream delivers"
                        ));
                    }
                }
            }
        }
    }
    let s3 = s3
        .into_iter()
        .map(|(key, group)| s3_table(key, group, &buckets, snapshot.observations.as_ref(), today))
        .collect();
    let cloudwatch = groups
        .into_iter()
        .map(|((account_id, region, name, fields), flow_logs)| {
            log_group_queries(snapshot, account_id, region, name, fields, flow_logs)
        })
        .collect();
    Runbook {
        evaluated_on: today.to_string(),
        s3,
        cloudwatch,
        left_out: left_out.into_iter().collect(),
    }
}

/// A table name from the bucket and prefix: letters, digits and underscores.
fn table_name(bucket: &str, key_prefix: &str, index_hint: &str) -> String {
    let raw = format!("vpc_flow_logs_{bucket}_{key_prefix}_{index_hint}");
    let mut name: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    name.trim_end_matches('_').to_string()
}

/// SQL conditions selecting the partitions from `day` on, per key layout.
fn since_hive(day: NaiveDate) -> String {
    format!(
        "concat(year, '-', month, '-', day) >= '{}'",
        day.format("%Y-%m-%d")
    )
}
fn since_daily(day: NaiveDate) -> String {
    format!("log_time >= '{}'", day.format("%Y/%m/%d"))
}
fn since_hourly(day: NaiveDate) -> String {
    format!("log_time >= '{}/00'", day.format("%Y/%m/%d"))
}

fn s3_table(
    (bucket, key_prefix, file_format, hive, per_hour, fields): S3Key,
    group: S3Group,
    buckets: &BTreeMap<&str, &Bucket>,
    observed: Option<&crate::snapshot::Observations>,
    today: NaiveDate,
) -> S3Table {
    let parquet = file_format == "parquet";
    let layout = match (hive, per_hour) {
        (true, true) => "hive_hourly",
        (true, false) => "hive",
        (false, true) => "hourly",
        (false, false) => "daily",
    };
    let table = table_name(
        &bucket,
        &key_prefix,
        &format!("{layout}{}", if parquet { "_parquet" } else { "" }),
    );
    let accounts: Vec<String> = group.accounts.into_iter().collect();
    let regions: Vec<String> = group.regions.into_iter().collect();
    let columns: Vec<String> = fields
        .iter()
        .map(|f| format!("  {} {}", quoted(f), athena_type(f)))
        .collect();
    let root = format!("s3://{bucket}/{key_prefix}AWSLogs/");
    let storage = if parquet {
        "STORED AS PARQUET".to_string()
    } else {
        "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '".to_string()
    };
    let mut properties = vec![];
    if !parquet {
        properties.push("'skip.header.line.count' = '1'".to_string());
    }
    properties.extend([
        "'projection.enabled' = 'true'".to_string(),
        "'projection.aws_account.type' = 'enum'".to_string(),
        format!("'projection.aws_account.values' = '{}'", accounts.join(",")),
        "'projection.aws_region.type' = 'enum'".to_string(),
        format!("'projection.aws_region.values' = '{}'", regions.join(",")),
    ]);
    let year_ago = today - chrono::Days::new(365);
    // AWS writes yyyy/MM/dd[/HH] paths, projected as one date; or Hive-style
    // year=/month=/day=[/hour=] ones, projected part by part (a date projection's format
    // cannot hold the literal `year=` inside a quoted property).
    let (partitions, template, since) = if hive {
        properties.extend([
            "'projection.year.type' = 'date'".to_string(),
            "'projection.year.format' = 'yyyy'".to_string(),
            format!("'projection.year.range' = '{},NOW'", year_ago.format("%Y")),
            "'projection.year.interval' = '1'".to_string(),
            "'projection.year.interval.unit' = 'YEARS'".to_string(),
            "'projection.month.type' = 'integer'".to_string(),
            "'projection.month.range' = '1,12'".to_string(),
            "'projection.month.digits' = '2'".to_string(),
            "'projection.day.type' = 'integer'".to_string(),
            "'projection.day.range' = '1,31'".to_string(),
            "'projection.day.digits' = '2'".to_string(),
        ]);
        let mut partitions =
            "aws_account string, aws_region string, year string, month string, day string"
                .to_string();
        let mut template = format!(
            "{root}aws-account-id=${{aws_account}}/aws-service=vpcflowlogs/aws-region=${{aws_region}}/year=${{year}}/month=${{month}}/day=${{day}}"
        );
        if per_hour {
            properties.extend([
                "'projection.hour.type' = 'integer'".to_string(),
                "'projection.hour.range' = '0,23'".to_string(),
                "'projection.hour.digits' = '2'".to_string(),
            ]);
            partitions.push_str(", hour string");
            template.push_str("/hour=${hour}");
        }
        (partitions, template, since_hive as fn(NaiveDate) -> String)
    } else {
        let (format, unit, strftime) = if per_hour {
            ("yyyy/MM/dd/HH", "HOURS", "%Y/%m/%d/%H")
        } else {
            ("yyyy/MM/dd", "DAYS", "%Y/%m/%d")
        };
        let start = year_ago
            .and_hms_opt(0, 0, 0)
            .map(|t| t.format(strftime).to_string())
            .unwrap_or_default();
        properties.extend([
            "'projection.log_time.type' = 'date'".to_string(),
            format!("'projection.log_time.format' = '{format}'"),
            format!("'projection.log_time.range' = '{start},NOW'"),
            "'projection.log_time.interval' = '1'".to_string(),
            format!("'projection.log_time.interval.unit' = '{unit}'"),
        ]);
        (
            "aws_account string, aws_region string, log_time string".to_string(),
            format!("{root}${{aws_account}}/vpcflowlogs/${{aws_region}}/${{log_time}}"),
            if per_hour { since_hourly } else { since_daily },
        )
    };
    properties.push(format!("'storage.location.template' = '{template}'"));
    let ddl = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS {table} (\n{}\n)\nPARTITIONED BY ({partitions})\n{storage}\nLOCATION '{root}'\nTBLPROPERTIES (\n{}\n);",
        columns.join(",\n"),
        properties
            .iter()
            .map(|p| format!("  {p}"))
            .collect::<Vec<_>>()
            .join(",\n"),
    );
    let has = |f: &str| fields.iter().any(|x| x == f);
    let mut queries = Vec::new();
    if has("action") && has("interface-id") {
        queries.push(Query {
            title: "Rejected traffic to one network interface, last 7 days".to_string(),
            text: format!(
                "SELECT from_unixtime(start) AS started, srcaddr, dstaddr, dstport, protocol, packets\nFROM {table}\nWHERE action = 'REJECT'\n  AND interface_id = 'eni-REPLACE'\n  AND {}\nORDER BY start DESC\nLIMIT 100;",
                since(today - chrono::Days::new(7))
            ),
        });
    }
    if has("srcaddr") && has("dstaddr") && has("bytes") {
        queries.push(Query {
            title: "Top talkers, last 24 hours".to_string(),
            text: format!(
                "SELECT srcaddr, dstaddr, SUM(bytes) AS total_bytes, SUM(packets) AS total_packets\nFROM {table}\nWHERE {}\nGROUP BY srcaddr, dstaddr\nORDER BY total_bytes DESC\nLIMIT 20;",
                since(today - chrono::Days::new(1))
            ),
        });
    }
    let available = accounts
        .iter()
        .flat_map(|a| regions.iter().map(move |r| (a, r)))
        .filter_map(|(account, region)| {
            let bucket_data = buckets.get(bucket.as_str())?;
            let prefix = destination::flow_log_key_prefix(&key_prefix, account, region, hive);
            let window = match &bucket_data.lifecycle {
                None => "lifecycle could not be read: unknown".to_string(),
                Some(l) => {
                    let effective = lifecycle::effective(
                        &l.rules,
                        l.transition_default_minimum_object_size.as_deref(),
                        &prefix,
                        today,
                    );
                    match effective.expiration {
                        Some(e) => {
                            format!("the last {} days (rule {} expires objects)", e.days, e.rule)
                        }
                        None => "everything delivered (no rule expires these objects)".to_string(),
                    }
                }
            };
            // What is really there, when the records were observed, before what the
            // lifecycle promises.
            let seen = observed
                .and_then(|o| {
                    o.s3_prefixes
                        .iter()
                        .find(|p| p.bucket == bucket && p.key_prefix == prefix)
                })
                .and_then(|p| match (&p.oldest_date, &p.newest_date) {
                    (Some(oldest), Some(newest)) => Some(format!(
                        "records from {oldest} to {newest} (observed {}); ",
                        p.observed_at
                    )),
                    (None, _) if p.error.is_none() => {
                        Some(format!("no records (observed {}); ", p.observed_at))
                    }
                    _ => None,
                })
                .unwrap_or_default();
            Some(format!(
                "{account} {region} (s3://{bucket}/{prefix}): {seen}{window}"
            ))
        })
        .collect();
    S3Table {
        bucket,
        key_prefix,
        file_format,
        hive_compatible_partitions: hive,
        per_hour_partition: per_hour,
        fields,
        accounts,
        regions,
        flow_logs: group.flow_logs.into_iter().collect(),
        table,
        ddl,
        queries,
        available,
    }
}

fn log_group_queries(
    snapshot: &Snapshot,
    account_id: String,
    region: String,
    name: String,
    fields: Vec<String>,
    flow_logs: BTreeSet<String>,
) -> LogGroupQueries {
    let default_format = fields
        .iter()
        .map(String::as_str)
        .eq(DEFAULT_LOG_FIELDS.iter().copied());
    let field = |f: &str| -> Option<String> {
        fields.iter().any(|x| x == f).then(|| {
            if default_format {
                discovered(f).map_or_else(|| column(f), str::to_string)
            } else {
                column(f)
            }
        })
    };
    let parse = if default_format {
        String::new()
    } else {
        format!(
            "parse @message \"{}\" as {}\n| ",
            vec!["*"; fields.len()].join(" "),
            fields
                .iter()
                .map(|f| column(f))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    let mut queries = Vec::new();
    if let (Some(action), Some(eni), Some(src), Some(dst), Some(port)) = (
        field("action"),
        field("interface-id"),
        field("srcaddr"),
        field("dstaddr"),
        field("dstport"),
    ) {
        queries.push(Query {
            title: "Rejected traffic to one network interface".to_string(),
            text: format!(
                "{parse}filter {action} = \"REJECT\" and {eni} = \"eni-REPLACE\"\n| stats count(*) as flows by {src}, {dst}, {port}\n| sort flows desc\n| limit 100"
            ),
        });
    }
    if let (Some(src), Some(dst), Some(bytes)) =
        (field("srcaddr"), field("dstaddr"), field("bytes"))
    {
        queries.push(Query {
            title: "Top talkers".to_string(),
            text: format!(
                "{parse}stats sum({bytes}) as total_bytes by {src}, {dst}\n| sort total_bytes desc\n| limit 20"
            ),
        });
    }
    let group = snapshot
        .accounts
        .iter()
        .filter(|a| a.account_id == account_id)
        .flat_map(|a| &a.regions)
        .filter(|r| r.region == region)
        .flat_map(|r| &r.log_groups)
        .find(|g| g.log_group_name == name);
    let available = match group {
        None => "the group was not listed: unknown".to_string(),
        Some(g)
            if LogGroupClass::from_api(g.log_group_class.as_deref())
                == Some(LogGroupClass::Delivery) =>
        {
            format!(
                "the last {DELIVERY_CLASS_RETENTION_DAYS} day (DELIVERY class); Logs Insights cannot query this class"
            )
        }
        Some(g) => match g.retention_in_days {
            Some(days) => format!("the last {days} days (retentionInDays)"),
            None => "everything delivered (the group never expires events)".to_string(),
        },
    };
    LogGroupQueries {
        account_id,
        region,
        log_group: name,
        custom_format: !default_format,
        fields,
        flow_logs: flow_logs.into_iter().collect(),
        queries,
        available,
    }
}

impl Runbook {
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut out = serde_json::to_string_pretty(self)?;
        out.push('\n');
        Ok(out)
    }

    pub fn to_markdown(&self) -> String {
        let mut out = format!(
            "# Flow log incident runbook\n\nWhere each destination's flow logs are and how to query them, as of {}.\n",
            self.evaluated_on
        );
        for t in &self.s3 {
            out.push_str(&format!(
                "\n## S3: s3://{}/{}AWSLogs/ ({}{}{})\n\n",
                t.bucket,
                t.key_prefix,
                t.file_format,
                if t.hive_compatible_partitions {
                    ", Hive-compatible partitions"
                } else {
                    ""
                },
                if t.per_hour_partition {
                    ", per-hour partitions"
                } else {
                    ""
                },
            ));
            out.push_str(&format!(
                "- Flow logs: {}\n- Accounts: {}; regions: {}\n- Fields ({}): {}\n- Available to query:\n",
                t.flow_logs.join(", "),
                t.accounts.join(", "),
                t.regions.join(", "),
                t.fields.len(),
                t.fields.join(" ")
            ));
            for a in &t.available {
                out.push_str(&format!("  - {a}\n"));
            }
            out.push_str(&format!(
                "\nAthena table `{}`:\n\n```sql\n{}\n```\n",
                t.table, t.ddl
            ));
            for q in &t.queries {
                out.push_str(&format!("\n{}:\n\n```sql\n{}\n```\n", q.title, q.text));
            }
        }
        for g in &self.cloudwatch {
            out.push_str(&format!(
                "\n## CloudWatch Logs: {} ({} {})\n\n- Flow logs: {}\n- Format: {}\n- Available to query: {}\n",
                g.log_group,
                g.account_id,
                g.region,
                g.flow_logs.join(", "),
                if g.custom_format {
                    format!("custom ({}), parsed from each message", g.fields.join(" "))
                } else {
                    "default: Logs Insights discovers the fields".to_string()
                },
                g.available
            ));
            for q in &g.queries {
                out.push_str(&format!(
                    "\n{} (Logs Insights, log group `{}`):\n\n```\n{}\n```\n",
                    q.title, g.log_group, q.text
                ));
            }
        }
        if !self.left_out.is_empty() {
            out.push_str("\n## Left out\n\n");
            for l in &self.left_out {
                out.push_str(&format!("- {l}\n"));
            }
        }
        out
    }
}
