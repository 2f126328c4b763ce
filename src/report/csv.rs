//! CSV: one row per finding, with stable columns.

use super::Report;

pub const COLUMNS: [&str; 15] = [
    "rule_id",
    "category",
    "severity",
    "status",
    "resource_type",
    "resource_id",
    "resource_arn",
    "account_id",
    "region",
    "profile",
    "message",
    "remediation",
    "waiver_expires",
    "change",
    "source",
];

pub fn render(report: &Report) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for f in &report.findings {
        w.write_record([
            f.rule_id.as_str(),
            f.category.as_str(),
            f.severity.as_str(),
            f.status.as_str(),
            &f.resource_type,
            &f.resource_id,
            f.resource_arn.as_deref().unwrap_or(""),
            &f.account_id,
            &f.region,
            f.profile.as_deref().unwrap_or(""),
            &f.message,
            &f.remediation,
            f.waiver.as_ref().map(|w| w.expires.as_str()).unwrap_or(""),
            f.change.map(|c| c.as_str()).unwrap_or(""),
            &super::source_text(f).unwrap_or_default(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
