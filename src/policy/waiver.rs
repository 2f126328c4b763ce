//! Accepted exceptions (`waivers`), and the rule ids they and the severity overrides name.

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use super::checked::{checked_map, checked_str};

/// A rule id that exists in this build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct RuleId(pub String);

impl<'de> Deserialize<'de> for RuleId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_str(d, "a rule id", |v| {
            let Some(lookup) = super::load::rule_lookup() else {
                return Err("rule ids can be read only while a policy is loaded".to_string());
            };
            match lookup(v) {
                Some(id) => Ok(RuleId(id.to_string())),
                None => Err(format!(
                    "unknown rule id `{v}`; `flowaudit rules` lists the ids this version knows"
                )),
            }
        })
    }
}

/// An accepted exception. It must name what it waives and when it ends.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiver {
    /// Rule ids; empty waives every rule for the resources named.
    pub rules: Vec<RuleId>,
    /// Resource ids or ARNs, with `*` and `?` globs; empty waives the rules everywhere.
    pub resources: Vec<String>,
    pub reason: String,
    pub approved_by: String,
    /// The last day on which the waiver applies.
    pub expires: NaiveDate,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWaiver {
    #[serde(default)]
    rules: Vec<RuleId>,
    #[serde(default)]
    resources: Vec<String>,
    reason: String,
    approved_by: String,
    #[serde(deserialize_with = "iso_date")]
    expires: NaiveDate,
}

fn iso_date<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
    checked_str(d, "a date as YYYY-MM-DD", |v| {
        NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map_err(|_| format!("`{v}` is not a date; expected YYYY-MM-DD"))
    })
}

impl TryFrom<RawWaiver> for Waiver {
    type Error = String;
    fn try_from(raw: RawWaiver) -> Result<Self, String> {
        if raw.rules.is_empty() && raw.resources.is_empty() {
            return Err(
                "a waiver must name `rules`, `resources` or both; one that names neither would waive everything"
                    .to_string(),
            );
        }
        for pattern in &raw.resources {
            globset::Glob::new(pattern)
                .map_err(|e| format!("resource pattern `{pattern}`: {e}"))?;
        }
        if raw.reason.trim().is_empty() || raw.approved_by.trim().is_empty() {
            return Err("a waiver needs a non-empty `reason` and `approved_by`".to_string());
        }
        Ok(Waiver {
            rules: raw.rules,
            resources: raw.resources,
            reason: raw.reason,
            approved_by: raw.approved_by,
            expires: raw.expires,
        })
    }
}

impl<'de> Deserialize<'de> for Waiver {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        checked_map::<_, RawWaiver, _>(d)
    }
}
