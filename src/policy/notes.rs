//! What `policy validate` says about a valid policy: a warning for a section that can never
//! fail, and a note on how a one-sided `{min, max}` range reads, so that nobody has to
//! guess.

use super::Policy;
use super::model::{DayRange, Requirements};

/// Something `policy validate` says about a valid policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyNote {
    /// A section that can never fail: almost certainly not what its author meant.
    Warning(String),
    /// How a one-sided range is read.
    Note(String),
}

impl Policy {
    /// What there is to say about each profile, each naming the profile and the key.
    pub fn notes(&self) -> Vec<PolicyNote> {
        let mut notes = Vec::new();
        for profile in &self.profiles {
            let mut note = |key: &str, text: String, warning: bool| {
                let text = format!("profile `{}`, {key}: {text}", profile.name);
                notes.push(if warning {
                    PolicyNote::Warning(text)
                } else {
                    PolicyNote::Note(text)
                });
            };
            section_notes(&profile.requirements, &mut note);
        }
        notes
    }
}

fn section_notes(r: &Requirements, note: &mut impl FnMut(&str, String, bool)) {
    if let Some(records) = &r.records {
        let range = r.s3.as_ref().map(|s| s.expiration_days);
        let compared =
            records.verify_retention && range.is_some_and(|d| d.min.is_some() || d.max.is_some());
        if records.max_silence.is_none() && !compared {
            note(
                "records",
                if records.verify_retention {
                    "verify_retention compares the records kept with s3.expiration_days, which this profile does not set, and max_silence is not set, so it can never fail".to_string()
                } else {
                    "sets neither max_silence nor verify_retention, so it can never fail"
                        .to_string()
                },
                true,
            );
        }
        if records.max_silence.is_some() || records.verify_retention {
            note(
                "records",
                "is judged from what `--observe` saw (scan --observe, or collect --observe); without it every records check is an error".to_string(),
                false,
            );
        }
    }
    if let Some(d) = &r.destinations
        && d.allowed.is_empty()
        && d.required.is_empty()
        && d.allowed_arns.is_empty()
    {
        note(
            "destinations",
            "allows any destination and requires none, so it can never fail".to_string(),
            true,
        );
    }
    if let Some(c) = &r.cloudwatch {
        let range = c.retention_days.0;
        let cannot_fail = range.min.is_none()
            && range.max.is_none()
            && !c.forbid_never_expire
            && !c.require_kms
            && c.allowed_classes.is_empty()
            && !c.require_deletion_protection;
        if cannot_fail {
            note(
                "cloudwatch",
                "sets no retention range and allows never-expire, so it can never fail".to_string(),
                true,
            );
        }
        one_sided(
            "cloudwatch.retention_days",
            range,
            c.forbid_never_expire,
            "CWL001",
            note,
        );
    }
    if let Some(s) = &r.s3 {
        let range = s.expiration_days;
        let cannot_fail = range.min.is_none()
            && range.max.is_none()
            && s.transition.is_none()
            && s.noncurrent_version_expiration.is_none()
            && !s.require_encryption
            && !s.require_public_access_block
            && s.immediately_available_days.is_none();
        if cannot_fail {
            note(
                "s3",
                "sets no expiration range, transition, noncurrent expiration, encryption or public access block, so it can never fail".to_string(),
                true,
            );
        }
        one_sided(
            "s3.expiration_days",
            range,
            s.forbid_never_expire,
            "S3L001",
            note,
        );
    }
}

/// How a range with one side reads, said once so that nobody has to guess.
fn one_sided(
    key: &str,
    range: DayRange,
    forbid_never_expire: bool,
    never_rule: &str,
    note: &mut impl FnMut(&str, String, bool),
) {
    match (range.min, range.max) {
        (Some(min), None) if forbid_never_expire => note(
            key,
            format!(
                "only `min: {min}`: data must be kept at least {min} days and must expire (data that never expires fails {never_rule}, because forbid_never_expire is true); set `forbid_never_expire: false` to let never-expiring data meet the minimum"
            ),
            false,
        ),
        (Some(min), None) => note(
            key,
            format!(
                "only `min: {min}` with forbid_never_expire false: data that never expires meets it, and nothing bounds how long data is kept"
            ),
            false,
        ),
        (None, Some(max)) => note(
            key,
            format!(
                "only `max: {max}`: data must expire within {max} days, and no minimum is required, so data deleted after a day passes"
            ),
            false,
        ),
        _ => {}
    }
}
