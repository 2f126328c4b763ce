//! Policies: what a VPC must satisfy, which VPCs that applies to, and the accepted exceptions.

mod checked;
mod load;
mod model;
mod notes;
mod records;
mod scope;
mod waiver;

pub use load::{PolicyError, RuleLookup, load, parse};
pub use model::*;
pub use notes::PolicyNote;
pub use scope::{Profile, ProfileChoice};

/// A loaded policy, with each profile's requirements already resolved against `default`.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    pub description: String,
    /// In match order; the default, if any, is last with an empty selector.
    pub profiles: Vec<Profile>,
    pub waivers: Vec<Waiver>,
    pub severity_overrides: std::collections::BTreeMap<String, crate::findings::Severity>,
    /// Days a problem of each severity may stay open (see `crate::history`).
    pub deadlines: std::collections::BTreeMap<crate::findings::Severity, u32>,
}

/// A policy as it is applied: every profile in match order (the default last), each with its
/// requirements resolved against `default`, for `flowaudit policy show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct EffectivePolicy<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub profiles: Vec<EffectiveProfile<'a>>,
    #[serde(skip_serializing_if = "<[Waiver]>::is_empty")]
    pub waivers: &'a [Waiver],
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub severity: &'a std::collections::BTreeMap<String, crate::findings::Severity>,
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub deadlines: std::collections::BTreeMap<crate::findings::Severity, String>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct EffectiveProfile<'a> {
    pub name: &'a str,
    #[serde(rename = "match")]
    pub selector: &'a Selector,
    pub requirements: &'a Requirements,
}

impl Policy {
    pub fn effective(&self) -> EffectivePolicy<'_> {
        EffectivePolicy {
            name: &self.name,
            description: &self.description,
            profiles: self
                .profiles
                .iter()
                .map(|p| EffectiveProfile {
                    name: &p.name,
                    selector: &p.selector,
                    requirements: &p.requirements,
                })
                .collect(),
            waivers: &self.waivers,
            severity: &self.severity_overrides,
            deadlines: self
                .deadlines
                .iter()
                .map(|(s, d)| (*s, format!("{d}d")))
                .collect(),
        }
    }

    pub fn from_file(file: PolicyFile) -> Policy {
        let default = file.default.clone().unwrap_or_default();
        let mut profiles: Vec<Profile> = file
            .profiles
            .into_iter()
            .map(|p| Profile {
                name: p.name,
                selector: p.selector,
                requirements: p.requirements.or(&default),
            })
            .collect();
        if let Some(default) = file.default {
            profiles.push(Profile {
                name: "default".to_string(),
                selector: Selector::default(),
                requirements: default,
            });
        }
        Policy {
            name: file.name,
            description: file.description,
            profiles,
            waivers: file.waivers,
            severity_overrides: file
                .severity
                .into_iter()
                .map(|(id, sev)| (id.0, sev))
                .collect(),
            deadlines: file.deadlines.into_iter().map(|(s, d)| (s, d.0)).collect(),
        }
    }
}
