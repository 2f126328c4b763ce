//! Random mutations of real snapshot, policy and Terraform plan files: the loaders never
//! panic, every error names the file with a line and column, and whatever loads can be
//! evaluated (a plan laid over nothing and over the existing estate first).

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use proptest::prelude::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One edit of a file's bytes.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Replace { at: usize, byte: u8 },
    Duplicate { at: usize, len: usize },
    Truncate { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    // Positions are fractions of the file, so one strategy fits files of any size.
    let at = 0usize..1_000_000;
    // Bytes that matter to JSON and YAML, a few numbers, and anything at all.
    let interesting = prop_oneof![
        Just(b'{'),
        Just(b'}'),
        Just(b'['),
        Just(b']'),
        Just(b'"'),
        Just(b':'),
        Just(b','),
        Just(b'-'),
        Just(b'\n'),
        Just(b' '),
        Just(b'0'),
        Just(b'9'),
        any::<u8>(),
    ];
    prop_oneof![
        (at.clone(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (at.clone(), prop::collection::vec(interesting.clone(), 1..8))
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (at.clone(), interesting).prop_map(|(at, byte)| Edit::Replace { at, byte }),
        (at.clone(), 1usize..200).prop_map(|(at, len)| Edit::Duplicate { at, len }),
        at.prop_map(|at| Edit::Truncate { at }),
    ]
}

fn apply(original: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut bytes = original.to_vec();
    for e in edits {
        let place = |at: usize, len: usize| at * len / 1_000_000;
        match e {
            Edit::Delete { at, len } => {
                let start = place(*at, bytes.len());
                let end = (start + len).min(bytes.len());
                bytes.drain(start..end);
            }
            Edit::Insert { at, bytes: new } => {
                let start = place(*at, bytes.len());
                bytes.splice(start..start, new.iter().copied());
            }
            Edit::Replace { at, byte } => {
                if !bytes.is_empty() {
                    let i = place(*at, bytes.len()).min(bytes.len() - 1);
                    bytes[i] = *byte;
                }
            }
            Edit::Duplicate { at, len } => {
                let start = place(*at, bytes.len());
                let end = (start + len).min(bytes.len());
                let copy: Vec<u8> = bytes[start..end].to_vec();
                bytes.splice(end..end, copy);
            }
            Edit::Truncate { at } => {
                let keep = place(*at, bytes.len());
                bytes.truncate(keep);
            }
        }
    }
    bytes
}

/// Whether `message` names `path` followed by `:LINE:COLUMN`.
fn names_a_location(message: &str, path: &Path) -> bool {
    let prefix = format!("{}:", path.display());
    message.find(&prefix).is_some_and(|i| {
        let rest = &message[i + prefix.len()..];
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().unwrap_or("");
        let column = parts.next().unwrap_or("");
        !line.is_empty()
            && line.bytes().all(|b| b.is_ascii_digit())
            && !column.is_empty()
            && column.bytes().all(|b| b.is_ascii_digit())
    })
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let file = dir.join(name);
    std::fs::write(&file, bytes).expect("temp file written");
    file
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mutated_snapshots_load_or_fail_with_a_location(edits in prop::collection::vec(edit(), 1..4)) {
        let original = std::fs::read(root().join("fixtures/demo/estate.json")).expect("demo");
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write_temp(dir.path(), "snapshot.json", &apply(&original, &edits));
        match flowaudit::snapshot::load(&file) {
            Ok((snapshot, _)) => {
                // Whatever loads is evaluated without a panic.
                let (policy, _) = flowaudit::policy::load(&root().join("policies/production.yaml"), flowaudit::rules::canonical_id)
                    .expect("shipped policy");
                let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
                let _ = flowaudit::evaluate::evaluate(&snapshot, &policy, today);
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(names_a_location(&message, &file), "no location: {message}");
            }
        }
    }

    #[test]
    fn mutated_policies_load_or_fail_with_a_location(
        edits in prop::collection::vec(edit(), 1..4),
        which in 0usize..3,
    ) {
        let name = ["baseline", "production", "regulated"][which];
        let original = std::fs::read(root().join(format!("policies/{name}.yaml"))).expect("policy");
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write_temp(dir.path(), "policy.yaml", &apply(&original, &edits));
        if let Err(e) = flowaudit::policy::load(&file, flowaudit::rules::canonical_id) {
            let message = e.to_string();
            prop_assert!(names_a_location(&message, &file), "no location: {message}");
        }
    }

    #[test]
    fn mutated_plans_load_or_fail_with_a_location(
        edits in prop::collection::vec(edit(), 1..4),
        which in 0usize..7,
    ) {
        let name = [
            "terraform-aws-modules-vpc-flow-log-on",
            "nested-modules",
            "count-and-for-each",
            "deletes-flow-log",
            "aws-ia-vpc-flow-logs",
            "deletes-central-lifecycle",
            "unknown-ids",
        ][which];
        let original = std::fs::read(root().join(format!("fixtures/plans/{name}.json"))).expect("plan");
        let dir = tempfile::tempdir().expect("temp dir");
        let file = write_temp(dir.path(), "plan.json", &apply(&original, &edits));
        match flowaudit::plan::load(&file) {
            Ok(plan) => {
                let (existing, _) = flowaudit::snapshot::load(&root().join("fixtures/plans/existing-estate.json"))
                    .expect("existing estate");
                let (policy, _) = flowaudit::policy::load(&root().join("policies/production.yaml"), flowaudit::rules::canonical_id)
                    .expect("shipped policy");
                let today = NaiveDate::from_ymd_opt(2026, 11, 22).expect("date");
                for base in [None, Some(&existing)] {
                    let options = flowaudit::plan::PlanOptions::default();
                    if let Ok(planned) = flowaudit::plan::apply(&plan, base, &options) {
                        let mut evaluation =
                            flowaudit::evaluate::evaluate(&planned.snapshot, &policy, today);
                        // No report ever holds an unknown that names nothing it affects.
                        for f in evaluation.findings.iter().filter(|f| f.rule_id == "COL004") {
                            let evidence = f.evidence.to_value();
                            let affects = evidence["affects"].as_array().map_or(0, Vec::len);
                            prop_assert!(affects > 0, "an unknown affecting nothing: {evidence}");
                        }
                        let before = base.map(|b| flowaudit::evaluate::evaluate(b, &policy, today));
                        let compared = base.zip(before.as_ref().map(|b| b.findings.as_slice()));
                        flowaudit::plan::gate::classify(
                            &mut evaluation.findings,
                            &planned.snapshot,
                            compared,
                            &planned.changed,
                        );
                        prop_assert!(evaluation
                            .findings
                            .iter()
                            .all(|f| f.status.is_problem() == f.change.is_some()));
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(names_a_location(&message, &file), "no location: {message}");
            }
        }
    }
}
