//! Policies: what a VPC must satisfy, which VPCs that applies to, and the accepted exceptions.

mod checked;
mod load;
mod model;
mod notes;
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

impl Policy {
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
