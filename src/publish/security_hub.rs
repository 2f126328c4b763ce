//! Security Hub calls: what the hub holds from flowaudit in one account and region
//! (GetFindings), and imports in batches of 100 under the API's rate (BatchImportFindings).
//! No SDK type leaves this file.

use std::collections::BTreeMap;
use std::sync::Arc;

use aws_sdk_securityhub::types as hub;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Place, PlacePlan, PublishOptions, ReportIndex, plan_place};
use crate::collect::attempts::observed;
use crate::collect::errors;
use crate::collect::pace::Pacer;
use crate::report::Report;
use crate::report::asff::{
    self, AsffCompliance, AsffFinding, AsffNote, AsffRecommendation, AsffRemediation, AsffResource,
    AsffSeverity, AsffWorkflow,
};

/// BatchImportFindings takes at most this many findings a call.
pub const BATCH: usize = 100;
/// BatchImportFindings' rate per account and region (burst 30).
pub const IMPORTS_PER_SECOND: u32 = 10;

/// The Security Hub client for an account and region, or why there is none (an account
/// that could not be entered).
pub trait HubClients: Send + Sync {
    fn client(&self, account_id: &str, region: &str)
    -> Result<aws_sdk_securityhub::Client, String>;
}

/// A finding Security Hub did not take, with its reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Failed {
    pub account_id: String,
    pub region: String,
    pub id: String,
    pub code: String,
    pub message: String,
}

/// What publishing one place did (or, with dry run, would do).
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceOutcome {
    pub place: Place,
    pub plan: PlacePlan,
    pub failed: Vec<Failed>,
    /// Calls made: GetFindings pages and BatchImportFindings.
    pub requests: usize,
}

/// Publishes a report: in every place it speaks for, reads what the hub holds, plans, and
/// (unless `dry_run`) imports. At most `concurrency` places at a time.
pub async fn publish(
    report: Arc<Report>,
    hubs: Arc<dyn HubClients>,
    options: PublishOptions,
    dry_run: bool,
    concurrency: usize,
) -> Vec<PlaceOutcome> {
    let limit = Arc::new(Semaphore::new(concurrency.max(1)));
    // Worked out once: each place reads only its own findings from it.
    let index = Arc::new(ReportIndex::of(&report));
    let mut tasks = JoinSet::new();
    for place in index.places(&report) {
        let (report, index, hubs, options, limit) = (
            report.clone(),
            index.clone(),
            hubs.clone(),
            options.clone(),
            limit.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await.ok();
            publish_place(&report, &index, hubs.as_ref(), place, &options, dry_run).await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(outcome) => outcomes.push(outcome),
            // A task that panicked is a bug; surface it as the panic it was.
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
    outcomes.sort_by(|a, b| a.place.cmp(&b.place));
    outcomes
}

async fn publish_place(
    report: &Report,
    index: &ReportIndex,
    hubs: &dyn HubClients,
    place: Place,
    options: &PublishOptions,
    dry_run: bool,
) -> PlaceOutcome {
    let mut outcome = PlaceOutcome {
        place: place.clone(),
        plan: PlacePlan::default(),
        failed: Vec::new(),
        requests: 0,
    };
    let failed_all = |plan: &PlacePlan, code: &str, message: &str| -> Vec<Failed> {
        plan.imports()
            .map(|f| Failed {
                account_id: place.0.clone(),
                region: place.1.clone(),
                id: f.id.clone(),
                code: code.to_string(),
                message: message.to_string(),
            })
            .collect()
    };
    let client = match hubs.client(&place.0, &place.1) {
        Ok(client) => client,
        Err(why) => {
            // Nothing could be read: plan as if the hub were empty, so that every finding
            // this report would publish there is counted as failed, and nothing archived.
            outcome.plan = plan_place(report, index, &place, &[], options);
            outcome.failed = failed_all(&outcome.plan, "AccountNotEntered", &why);
            return outcome;
        }
    };
    let existing = match existing(&client, &place, &mut outcome.requests).await {
        Ok(existing) => existing,
        Err((code, message)) => {
            outcome.plan = plan_place(report, index, &place, &[], options);
            outcome.plan.archive.clear();
            outcome.failed = failed_all(
                &outcome.plan,
                &code,
                &format!("GetFindings failed, so nothing was imported here: {message}"),
            );
            return outcome;
        }
    };
    outcome.plan = plan_place(report, index, &place, &existing, options);
    if dry_run {
        return outcome;
    }
    let imports: Vec<&AsffFinding> = outcome.plan.imports().collect();
    let pace = Pacer::per_second(IMPORTS_PER_SECOND);
    for batch in imports.chunks(BATCH) {
        let sdk: Vec<hub::AwsSecurityFinding> = batch.iter().map(|f| to_sdk(f)).collect();
        pace.wait().await;
        outcome.requests += 1;
        let (answer, attempts) = observed(
            client
                .batch_import_findings()
                .set_findings(Some(sdk))
                .send(),
        )
        .await;
        match answer {
            Ok(answer) => {
                for f in answer.failed_findings() {
                    outcome.failed.push(Failed {
                        account_id: place.0.clone(),
                        region: place.1.clone(),
                        id: f.id().unwrap_or_default().to_string(),
                        code: f.error_code().unwrap_or("Unknown").to_string(),
                        message: f.error_message().unwrap_or_default().to_string(),
                    });
                }
            }
            Err(e) => {
                let (code, message) = errors::describe(&e, &attempts);
                outcome.failed.extend(batch.iter().map(|f| Failed {
                    account_id: place.0.clone(),
                    region: place.1.clone(),
                    id: f.id.clone(),
                    code: code.clone(),
                    message: message.clone(),
                }));
            }
        }
    }
    outcome.failed.sort();
    outcome
}

/// What the hub holds from flowaudit in one place, whatever its record state: read before
/// anything is written there, and filtered again here, since a server may ignore filters.
async fn existing(
    client: &aws_sdk_securityhub::Client,
    (account, region): &Place,
    requests: &mut usize,
) -> Result<Vec<AsffFinding>, (String, String)> {
    let product = asff::product_arn(account, region);
    let filter = |value: &str, comparison: hub::StringFilterComparison| {
        hub::StringFilter::builder()
            .value(value)
            .comparison(comparison)
            .build()
    };
    let filters = hub::AwsSecurityFindingFilters::builder()
        .product_arn(filter(&product, hub::StringFilterComparison::Equals))
        .generator_id(filter(
            asff::GENERATOR_PREFIX,
            hub::StringFilterComparison::Prefix,
        ))
        .aws_account_id(filter(account, hub::StringFilterComparison::Equals))
        .region(filter(region, hub::StringFilterComparison::Equals))
        .build();
    let mut found = Vec::new();
    let mut token: Option<String> = None;
    loop {
        *requests += 1;
        let (answer, attempts) = observed(Box::pin(
            client
                .get_findings()
                .filters(filters.clone())
                .max_results(100)
                .set_next_token(token.take())
                .send(),
        ))
        .await;
        let page = answer.map_err(|e| errors::describe(&e, &attempts))?;
        found.extend(page.findings().iter().filter_map(from_sdk).filter(|f| {
            f.product_arn == product
                && f.generator_id.starts_with(asff::GENERATOR_PREFIX)
                && f.aws_account_id == *account
                && f.region == *region
        }));
        match page.next_token() {
            Some(next) if !next.is_empty() => token = Some(next.to_string()),
            _ => break,
        }
    }
    Ok(found)
}

/// A finding the hub holds, in flowaudit's terms; `None` for one without the fields every
/// flowaudit finding has.
fn from_sdk(f: &hub::AwsSecurityFinding) -> Option<AsffFinding> {
    Some(AsffFinding {
        schema_version: f.schema_version()?.to_string(),
        id: f.id()?.to_string(),
        product_arn: f.product_arn()?.to_string(),
        generator_id: f.generator_id()?.to_string(),
        aws_account_id: f.aws_account_id()?.to_string(),
        region: f.region().unwrap_or_default().to_string(),
        types: f.types().to_vec(),
        created_at: f.created_at()?.to_string(),
        updated_at: f.updated_at()?.to_string(),
        first_observed_at: f.first_observed_at().map(str::to_string),
        severity: AsffSeverity {
            label: f
                .severity()
                .and_then(|s| s.label())
                .map(|l| l.as_str().to_string())
                .unwrap_or_else(|| "INFORMATIONAL".to_string()),
        },
        title: f.title()?.to_string(),
        description: f.description()?.to_string(),
        remediation: AsffRemediation {
            recommendation: AsffRecommendation {
                text: f
                    .remediation()
                    .and_then(|r| r.recommendation())
                    .and_then(|r| r.text())
                    .unwrap_or_default()
                    .to_string(),
            },
        },
        compliance: AsffCompliance {
            status: f
                .compliance()
                .and_then(|c| c.status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "NOT_AVAILABLE".to_string()),
        },
        resources: f
            .resources()
            .iter()
            .map(|r| AsffResource {
                r#type: r.r#type().unwrap_or("Other").to_string(),
                id: r.id().unwrap_or_default().to_string(),
                partition: r
                    .partition()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_else(|| "aws".to_string()),
                region: r.region().unwrap_or_default().to_string(),
            })
            .collect(),
        product_fields: f
            .product_fields()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect::<BTreeMap<_, _>>()
            })
            .unwrap_or_default(),
        workflow: AsffWorkflow {
            status: f
                .workflow()
                .and_then(|w| w.status())
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "NEW".to_string()),
        },
        note: f.note().map(|n| AsffNote {
            text: n.text().unwrap_or_default().to_string(),
            updated_by: n.updated_by().unwrap_or_default().to_string(),
            updated_at: n.updated_at().unwrap_or_default().to_string(),
        }),
        record_state: f
            .record_state()
            .map(|s| s.as_str().to_string())
            .unwrap_or_else(|| "ACTIVE".to_string()),
    })
}

/// A finding as the SDK sends it.
fn to_sdk(f: &AsffFinding) -> hub::AwsSecurityFinding {
    let resources = f
        .resources
        .iter()
        .map(|r| {
            hub::Resource::builder()
                .r#type(&r.r#type)
                .id(&r.id)
                .partition(hub::Partition::from(r.partition.as_str()))
                .region(&r.region)
                .build()
        })
        .collect();
    let note = f.note.as_ref().map(|n| {
        hub::Note::builder()
            .text(&n.text)
            .updated_by(&n.updated_by)
            .updated_at(&n.updated_at)
            .build()
    });
    hub::AwsSecurityFinding::builder()
        .schema_version(&f.schema_version)
        .id(&f.id)
        .product_arn(&f.product_arn)
        .generator_id(&f.generator_id)
        .aws_account_id(&f.aws_account_id)
        .region(&f.region)
        .set_types(Some(f.types.clone()))
        .created_at(&f.created_at)
        .updated_at(&f.updated_at)
        .set_first_observed_at(f.first_observed_at.clone())
        .severity(
            hub::Severity::builder()
                .label(hub::SeverityLabel::from(f.severity.label.as_str()))
                .build(),
        )
        .title(&f.title)
        .description(&f.description)
        .remediation(
            hub::Remediation::builder()
                .recommendation(
                    hub::Recommendation::builder()
                        .text(&f.remediation.recommendation.text)
                        .build(),
                )
                .build(),
        )
        .compliance(
            hub::Compliance::builder()
                .status(hub::ComplianceStatus::from(f.compliance.status.as_str()))
                .build(),
        )
        .set_resources(Some(resources))
        .set_product_fields(Some(f.product_fields.clone().into_iter().collect()))
        .workflow(
            hub::Workflow::builder()
                .status(hub::WorkflowStatus::from(f.workflow.status.as_str()))
                .build(),
        )
        .set_note(note)
        .record_state(hub::RecordState::from(f.record_state.as_str()))
        .build()
}
