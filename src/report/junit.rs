//! JUnit XML for CI systems: each rule is a testsuite and each evaluated resource a
//! testcase. Failures are `<failure>`, errors `<error>`, waived findings `<skipped>` with
//! the waiver's reason.

use std::collections::BTreeMap;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::Report;
use crate::findings::{Finding, Status, Summary};
use crate::rules;

fn counts(findings: &[&Finding]) -> [(&'static str, String); 4] {
    let n = Summary::of(findings.iter().copied());
    [
        ("tests", n.total().to_string()),
        ("failures", n.fail.to_string()),
        ("errors", n.error.to_string()),
        ("skipped", n.waived.to_string()),
    ]
}

pub fn render(report: &Report) -> std::io::Result<String> {
    let mut by_rule: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &report.findings {
        by_rule.entry(&f.rule_id).or_default().push(f);
    }
    let all: Vec<&Finding> = report.findings.iter().collect();
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let mut root = BytesStart::new("testsuites");
    root.push_attribute((
        "name",
        format!("flowaudit policy {}", report.policy.name).as_str(),
    ));
    for (k, v) in counts(&all) {
        root.push_attribute((k, v.as_str()));
    }
    w.write_event(Event::Start(root))?;
    for (rule_id, findings) in by_rule {
        let title = rules::find(rule_id)
            .map(|r| format!("{rule_id} {}", r.name))
            .unwrap_or_else(|| rule_id.to_string());
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute(("name", title.as_str()));
        for (k, v) in counts(&findings) {
            suite.push_attribute((k, v.as_str()));
        }
        w.write_event(Event::Start(suite))?;
        for f in findings {
            let mut case = BytesStart::new("testcase");
            case.push_attribute((
                "name",
                format!("{}/{}/{}", f.account_id, f.region, f.resource_id).as_str(),
            ));
            case.push_attribute((
                "classname",
                format!("{}.{}", f.category, f.rule_id).as_str(),
            ));
            let child = match f.status {
                // A problem a plan's gate does not count does not fail the suite.
                _ if f.status.is_problem() && !report.counts(f) => Some((
                    "skipped",
                    format!(
                        "{}, not counted by this gate: {}",
                        f.change.map(|c| c.as_str()).unwrap_or("not counted"),
                        f.message
                    ),
                    String::new(),
                )),
                Status::Pass => None,
                Status::Fail => Some(("failure", with_change(f), f.remediation.clone())),
                Status::Error | Status::Unknown => {
                    Some(("error", with_change(f), f.remediation.clone()))
                }
                Status::Waived => Some((
                    "skipped",
                    f.waiver
                        .as_ref()
                        .map(|w| {
                            format!(
                                "waived until {} by {}: {}",
                                w.expires, w.approved_by, w.reason
                            )
                        })
                        .unwrap_or_else(|| "waived".to_string()),
                    String::new(),
                )),
            };
            match child {
                None => w.write_event(Event::Empty(case))?,
                Some((tag, message, body)) => {
                    w.write_event(Event::Start(case))?;
                    let mut el = BytesStart::new(tag);
                    el.push_attribute(("message", message.as_str()));
                    if tag != "skipped" {
                        el.push_attribute(("type", f.severity.as_str()));
                    }
                    if body.is_empty() {
                        w.write_event(Event::Empty(el))?;
                    } else {
                        w.write_event(Event::Start(el))?;
                        w.write_event(Event::Text(BytesText::new(&format!("Fix: {body}"))))?;
                        w.write_event(Event::End(BytesEnd::new(tag)))?;
                    }
                    w.write_event(Event::End(BytesEnd::new("testcase")))?;
                }
            }
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    let mut out = String::from_utf8_lossy(&w.into_inner()).into_owned();
    out.push('\n');
    Ok(out)
}

/// A problem's message, after its class when a plan's gate gave it one.
fn with_change(f: &crate::findings::Finding) -> String {
    match f.change {
        Some(c) => format!("[{c}] {}", f.message),
        None => f.message.clone(),
    }
}
