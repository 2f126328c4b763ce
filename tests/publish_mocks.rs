//! Publishing against mocked Security Hub answers (aws-smithy-mocks), for what moto cannot
//! show: FailedFindings in a 200 answer, throttling answered by retries, throttling that
//! outlasts them, and batches of at most 100.

mod common;

use std::sync::Arc;

use aws_sdk_securityhub::operation::batch_import_findings::BatchImportFindingsOutput;
use aws_sdk_securityhub::operation::get_findings::GetFindingsOutput;
use aws_sdk_securityhub::types::ImportFindingsError;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use common::*;
use flowaudit::publish::PublishOptions;
use flowaudit::publish::security_hub::{self, HubClients, PlaceOutcome};
use flowaudit::report::Report;

/// One mocked client for every account and region.
struct Mocked(aws_sdk_securityhub::Client);

impl HubClients for Mocked {
    fn client(&self, _account: &str, _region: &str) -> Result<aws_sdk_securityhub::Client, String> {
        Ok(self.0.clone())
    }
}

fn demo_report() -> Report {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("fixtures/demo/report.json"))
            .expect("the demo report"),
    )
    .expect("a report")
}

fn empty_hub() -> Rule {
    mock!(aws_sdk_securityhub::Client::get_findings)
        .then_output(|| GetFindingsOutput::builder().build())
}

async fn publish_with(rules: &[Rule]) -> Vec<PlaceOutcome> {
    let client = mock_client!(aws_sdk_securityhub, RuleMode::MatchAny, rules.iter());
    security_hub::publish(
        Arc::new(demo_report()),
        Arc::new(Mocked(client)),
        PublishOptions {
            include_passed: false,
            now: "2026-11-23T00:00:00Z".to_string(),
        },
        false,
        1,
    )
    .await
}

/// The problems of the demo report: what a first publish imports.
fn problems() -> usize {
    demo_report()
        .findings
        .iter()
        .filter(|f| f.status != flowaudit::findings::Status::Pass)
        .count()
}

#[tokio::test]
async fn failed_findings_in_a_200_answer_are_reported_never_dropped() {
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .match_requests(|r| {
            r.findings().iter().any(|f| {
                f.id() == Some("flowaudit/COV003/111122223333/eu-west-1/vpc-0a00000000000004a")
            })
        })
        .then_output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(1)
                .success_count(0)
                .failed_findings(
                    ImportFindingsError::builder()
                        .id("flowaudit/COV003/111122223333/eu-west-1/vpc-0a00000000000004a")
                        .error_code("InvalidInput")
                        .error_message("Finding does not adhere to the schema")
                        .build(),
                )
                .build()
        });
    let rest = mock!(aws_sdk_securityhub::Client::batch_import_findings).then_output(|| {
        BatchImportFindingsOutput::builder()
            .failed_count(0)
            .success_count(1)
            .build()
    });
    let outcomes = publish_with(&[empty_hub(), import, rest]).await;
    let failed: Vec<_> = outcomes.iter().flat_map(|o| o.failed.iter()).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].code, "InvalidInput");
    assert_eq!(
        failed[0].id,
        "flowaudit/COV003/111122223333/eu-west-1/vpc-0a00000000000004a"
    );
    let created: usize = outcomes.iter().map(|o| o.plan.create.len()).sum();
    assert_eq!(created, problems());
}

#[tokio::test]
async fn throttling_is_retried_and_throttling_that_outlasts_the_retries_fails_every_finding() {
    let throttled = r#"{"__type":"TooManyRequestsException","Code":"TooManyRequestsException","Message":"Rate exceeded"}"#;
    let retried = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .sequence()
        .http_status(429, Some(throttled.to_string()))
        .times(2)
        .output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(0)
                .success_count(1)
                .build()
        })
        .repeatedly()
        .build();
    let outcomes = publish_with(&[empty_hub(), retried]).await;
    assert!(
        outcomes.iter().all(|o| o.failed.is_empty()),
        "retries answered the throttling"
    );

    let always = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .sequence()
        .http_status(429, Some(throttled.to_string()))
        .repeatedly()
        .build();
    let outcomes = publish_with(&[empty_hub(), always]).await;
    let failed: usize = outcomes.iter().map(|o| o.failed.len()).sum();
    assert_eq!(
        failed,
        problems(),
        "every finding that could not be imported is a failure"
    );
    assert!(
        outcomes
            .iter()
            .flat_map(|o| o.failed.iter())
            .all(|f| f.code == "TooManyRequestsException")
    );
}

#[tokio::test]
async fn imports_go_in_batches_of_at_most_100() {
    let import = mock!(aws_sdk_securityhub::Client::batch_import_findings)
        .match_requests(|r| {
            assert!(
                r.findings().len() <= 100,
                "a batch of {}",
                r.findings().len()
            );
            true
        })
        .then_output(|| {
            BatchImportFindingsOutput::builder()
                .failed_count(0)
                .success_count(1)
                .build()
        });
    let outcomes = publish_with(&[empty_hub(), import]).await;
    let calls: usize = outcomes.iter().map(|o| o.requests).sum();
    let places = outcomes.len();
    // One GetFindings and at least one import per place with problems.
    assert!(calls >= places, "{calls} calls for {places} places");
    assert!(outcomes.iter().all(|o| o.failed.is_empty()));
}
