//! Following a planned attribute whose value is known only after apply to the resource it
//! comes from, through the plan's `configuration`: resource references, module outputs,
//! module input variables, and `count`/`for_each` instances.
//!
//! The plan JSON does not show local values, and shows no expression for a module variable
//! the call leaves at its default. A reference through one of those is inferred only when
//! exactly one resource of the wanted type exists in the same module instance, and the
//! inference is recorded; `strict` refuses to infer. Anything else that cannot be followed
//! to exactly one resource is unknown, with the reason.

use std::collections::BTreeMap;

use serde_json::Value;

use super::addresses::{
    join_module, key_text, matching_bracket, module_segments, split_last_module, traversal,
};
use super::document::{ModuleConfig, PlanDocument, ResourceChange, ResourceConfig, references};

/// How deep a chain of module outputs and variables may go before it is called unknown.
const MAX_DEPTH: usize = 32;

/// One managed resource instance of the plan.
#[derive(Debug)]
pub struct Instance<'a> {
    pub change: &'a ResourceChange,
    /// The module instance it is in: "" for the root, else e.g. `module.vpc` or
    /// `module.net["a"].module.vpc`.
    pub module: String,
    /// `count` index or `for_each` key, as it is written in an address: `0` or `"a"`.
    pub key: Option<String>,
}

impl Instance<'_> {
    pub fn address(&self) -> &str {
        &self.change.address
    }

    pub fn resource_type(&self) -> &str {
        &self.change.resource_type
    }

    /// The resource is gone after apply.
    pub fn deleted(&self) -> bool {
        self.change.change.deletes()
    }

    /// The planned value of an attribute; `None` when it is null, absent, or unknown.
    pub fn after(&self, attribute: &str) -> Option<&Value> {
        if self.unknown(attribute) {
            return None;
        }
        self.change
            .change
            .after
            .as_ref()
            .and_then(|a| a.get(attribute))
            .filter(|v| !v.is_null())
    }

    /// The value before apply, for resources that exist already.
    pub fn before(&self, attribute: &str) -> Option<&Value> {
        self.change
            .change
            .before
            .as_ref()
            .and_then(|a| a.get(attribute))
            .filter(|v| !v.is_null())
    }

    /// The attribute's value as the plan leaves the resource: planned, or for a resource the
    /// plan deletes (whose `after` is null), the value it had before.
    pub fn known(&self, attribute: &str) -> Option<&Value> {
        if self.deleted() {
            self.before(attribute)
        } else {
            self.after(attribute)
        }
    }

    pub fn known_str(&self, attribute: &str) -> Option<&str> {
        self.known(attribute).and_then(Value::as_str)
    }

    /// The attribute, or anything inside it, is known only after apply. Nothing of a
    /// resource being deleted is.
    pub fn unknown(&self, attribute: &str) -> bool {
        !self.deleted()
            && self
                .change
                .change
                .after_unknown
                .as_ref()
                .and_then(|u| u.get(attribute))
                .is_some_and(contains_true)
    }

    pub fn after_str(&self, attribute: &str) -> Option<&str> {
        self.after(attribute).and_then(Value::as_str)
    }
}

/// `after_unknown` marks an unknown value `true`, at any depth of a nested block.
fn contains_true(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Array(items) => items.iter().any(contains_true),
        Value::Object(map) => map.values().any(contains_true),
        _ => false,
    }
}

/// How a reference was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// The resource instance (an index into `PlanIndex::instances`) the value comes from.
    Resource {
        instance: usize,
        /// Each step from the attribute to the resource.
        chain: Vec<String>,
        /// A step went through a local or variable the plan does not show.
        inferred: bool,
    },
    Unknown(String),
}

/// The plan's managed resource instances, and its configuration, for following references.
pub struct PlanIndex<'a> {
    pub instances: Vec<Instance<'a>>,
    root: &'a ModuleConfig,
    strict: bool,
}

impl<'a> PlanIndex<'a> {
    pub fn new(plan: &'a PlanDocument, strict: bool) -> PlanIndex<'a> {
        let instances = plan
            .resource_changes
            .iter()
            .filter(|rc| rc.mode == "managed")
            .map(|rc| Instance {
                change: rc,
                module: rc.module_address.clone().unwrap_or_default(),
                key: rc.index.as_ref().map(key_text),
            })
            .collect();
        PlanIndex {
            instances,
            root: &plan.configuration.root_module,
            strict,
        }
    }

    /// Inference through locals and variables is refused.
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// The configuration of a resource instance, if the plan carries it.
    pub fn config(&self, instance: usize) -> Option<&'a ResourceConfig> {
        let inst = &self.instances[instance];
        let module = self.module_config(&inst.module)?;
        module.resources.iter().find(|r| {
            r.mode == "managed"
                && r.resource_type == inst.resource_type()
                && r.name == inst.change.name
        })
    }

    /// The configuration of a module instance (keys ignored: every instance of a call shares
    /// one configuration).
    fn module_config(&self, module: &str) -> Option<&'a ModuleConfig> {
        let mut config = self.root;
        for (name, _) in module_segments(module) {
            config = &config.module_calls.get(&name)?.module;
        }
        Some(config)
    }

    /// Follows `attribute` of `instance`, whose value is unknown, to one resource of a
    /// `wanted` type.
    pub fn resolve(&self, instance: usize, attribute: &str, wanted: &[&str]) -> Resolution {
        let inst = &self.instances[instance];
        let expression = self
            .config(instance)
            .and_then(|c| c.expressions.get(attribute));
        let refs = references(expression);
        if refs.is_empty() {
            return Resolution::Unknown(format!(
                "`{attribute}` is known only after apply, and the plan's configuration shows no reference for it"
            ));
        }
        let step = format!("{}.{attribute}", inst.address());
        self.follow(
            &inst.module,
            &refs,
            wanted,
            inst.key.as_deref(),
            vec![step],
            0,
        )
    }

    fn follow(
        &self,
        module: &str,
        refs: &[&str],
        wanted: &[&str],
        own_key: Option<&str>,
        chain: Vec<String>,
        depth: usize,
    ) -> Resolution {
        if depth > MAX_DEPTH {
            return Resolution::Unknown(format!(
                "the reference chain {} is too deep to follow",
                chain.join(" -> ")
            ));
        }
        let uses_own_key = refs
            .iter()
            .any(|r| *r == "count.index" || r.starts_with("each."));
        // Terraform lists a reference with each of its prefixes (`aws_vpc.a[0].id`,
        // `aws_vpc.a[0]`, `aws_vpc.a`); keep the most specific of each.
        let mut roots: BTreeMap<String, Reference> = BTreeMap::new();
        for r in refs {
            let Some(parsed) = Reference::parse(r) else {
                continue;
            };
            let identity = parsed.identity();
            let keep = roots
                .get(&identity)
                .is_none_or(|old| parsed.specificity() > old.specificity());
            if keep {
                roots.insert(identity, parsed);
            }
        }
        // `module.vpc` is listed beside `module.vpc.vpc_id`: the output says more.
        let outputs_named: Vec<String> = roots
            .values()
            .filter_map(|r| match &r.kind {
                RefKind::ModuleOutput {
                    call,
                    output: Some(_),
                    ..
                } => Some(call.clone()),
                _ => None,
            })
            .collect();
        roots.retain(|_, r| {
            !matches!(&r.kind, RefKind::ModuleOutput { call, output: None, .. } if outputs_named.contains(call))
        });
        if roots.is_empty() {
            return Resolution::Unknown(format!(
                "{} refers to nothing the plan shows ({})",
                chain.join(" -> "),
                refs.join(", ")
            ));
        }
        let results: Vec<Resolution> = roots
            .values()
            .map(|r| {
                self.follow_one(
                    module,
                    r,
                    wanted,
                    own_key,
                    uses_own_key,
                    chain.clone(),
                    depth,
                )
            })
            .collect();
        let targets: Vec<usize> = results
            .iter()
            .filter_map(|r| match r {
                Resolution::Resource { instance, .. } => Some(*instance),
                Resolution::Unknown(_) => None,
            })
            .collect();
        if results.len() > 1 {
            let same = targets.len() == results.len() && targets.windows(2).all(|w| w[0] == w[1]);
            if !same {
                let names: Vec<String> = roots.values().map(|r| r.text.clone()).collect();
                return Resolution::Unknown(format!(
                    "{} combines several references ({}): the plan does not show which one its value comes from",
                    chain.join(" -> "),
                    names.join(", ")
                ));
            }
        }
        results
            .into_iter()
            .next()
            .unwrap_or_else(|| Resolution::Unknown("the expression has no references".to_string()))
    }

    #[allow(clippy::too_many_arguments)]
    fn follow_one(
        &self,
        module: &str,
        reference: &Reference,
        wanted: &[&str],
        own_key: Option<&str>,
        uses_own_key: bool,
        mut chain: Vec<String>,
        depth: usize,
    ) -> Resolution {
        chain.push(reference.text.clone());
        match &reference.kind {
            RefKind::Resource {
                resource_type,
                name,
                key,
            } => {
                if !wanted.contains(&resource_type.as_str()) {
                    return Resolution::Unknown(format!(
                        "{} refers to a {resource_type}, not a {}",
                        chain.join(" -> "),
                        wanted.join(" or ")
                    ));
                }
                let candidates: Vec<usize> = self
                    .in_module(module)
                    .filter(|&i| {
                        let inst = &self.instances[i];
                        inst.resource_type() == resource_type
                            && inst.change.name == *name
                            && !inst.deleted()
                    })
                    .collect();
                let pick = |k: &str| {
                    candidates
                        .iter()
                        .copied()
                        .find(|&i| self.instances[i].key.as_deref() == Some(k))
                };
                let chosen = match (key, own_key) {
                    (Some(k), _) => pick(k),
                    (None, _) if candidates.len() == 1 => candidates.first().copied(),
                    (None, Some(own)) if uses_own_key => pick(own),
                    _ => None,
                };
                match chosen {
                    Some(instance) => {
                        let address = self.instances[instance].address().to_string();
                        if chain.last() != Some(&address) {
                            chain.push(address);
                        }
                        Resolution::Resource {
                            instance,
                            chain,
                            inferred: false,
                        }
                    }
                    None if candidates.is_empty() => Resolution::Unknown(format!(
                        "{} is not in the plan after apply (its count is 0, or it is deleted)",
                        chain.join(" -> ")
                    )),
                    None => Resolution::Unknown(format!(
                        "{} has {} instances and the reference does not say which",
                        chain.join(" -> "),
                        candidates.len()
                    )),
                }
            }
            RefKind::ModuleOutput { call, key, output } => {
                let child_config = self
                    .module_config(module)
                    .and_then(|m| m.module_calls.get(call))
                    .map(|c| &c.module);
                let Some(child_config) = child_config else {
                    return Resolution::Unknown(format!(
                        "{}: the plan does not show module {call}",
                        chain.join(" -> ")
                    ));
                };
                let Some(output) = output else {
                    return Resolution::Unknown(format!(
                        "{} refers to a whole module, not one of its outputs",
                        chain.join(" -> ")
                    ));
                };
                let prefix = join_module(module, &format!("module.{call}"));
                let child = match key {
                    Some(k) => format!("{prefix}[{k}]"),
                    None => {
                        let instances = self.child_instances(&prefix);
                        match instances.as_slice() {
                            [only] => only.clone(),
                            [] => {
                                return Resolution::Unknown(format!(
                                    "{}: module {call} has no resources in the plan",
                                    chain.join(" -> ")
                                ));
                            }
                            _ => {
                                return Resolution::Unknown(format!(
                                    "{}: module {call} has {} instances and the reference does not say which",
                                    chain.join(" -> "),
                                    instances.len()
                                ));
                            }
                        }
                    }
                };
                let expression = child_config.outputs.get(output).map(|o| &o.expression);
                let refs = references(expression);
                if refs.is_empty() {
                    return Resolution::Unknown(format!(
                        "{}: output {output} refers to nothing the plan shows",
                        chain.join(" -> ")
                    ));
                }
                self.follow(&child, &refs, wanted, None, chain, depth + 1)
            }
            RefKind::Variable(name) => {
                let Some((parent, call, key)) = split_last_module(module) else {
                    return self.infer(module, wanted, chain, &format!("root variable var.{name}"));
                };
                let expression = self
                    .module_config(&parent)
                    .and_then(|m| m.module_calls.get(&call))
                    .and_then(|c| c.expressions.get(name));
                let refs = references(expression);
                if refs.is_empty() {
                    // Left at its default (the plan shows no default's expression).
                    self.infer(module, wanted, chain, &format!("var.{name}"))
                } else {
                    self.follow(&parent, &refs, wanted, key.as_deref(), chain, depth + 1)
                }
            }
            RefKind::Local(name) => self.infer(module, wanted, chain, &format!("local.{name}")),
            RefKind::Data(address) => Resolution::Unknown(format!(
                "{} comes from {address}, a data source whose value the plan does not show",
                chain.join(" -> ")
            )),
        }
    }

    /// The one resource of a wanted type in the module instance, when there is exactly one;
    /// failing any there, the one in its child module instances, at any depth (a local
    /// that reads a child module's output: `local.log_destination =
    /// module.cloudwatch_log_group[0].log_group.arn`).
    fn infer(
        &self,
        module: &str,
        wanted: &[&str],
        mut chain: Vec<String>,
        through: &str,
    ) -> Resolution {
        let place = if module.is_empty() {
            "the root module".to_string()
        } else {
            module.to_string()
        };
        if self.strict {
            return Resolution::Unknown(format!(
                "{} goes through {through}, which the plan does not show; --strict-references infers nothing",
                chain.join(" -> ")
            ));
        }
        let live_wanted = |i: &usize| {
            wanted.contains(&self.instances[*i].resource_type()) && !self.instances[*i].deleted()
        };
        let mut candidates: Vec<usize> = self.in_module(module).filter(live_wanted).collect();
        let mut place_text = place.clone();
        if candidates.is_empty() {
            candidates = self.below_module(module).filter(live_wanted).collect();
            place_text = format!("{place} and its child modules");
        }
        match candidates.as_slice() {
            [only] => {
                let inst = &self.instances[*only];
                chain.push(format!(
                    "{} (the only {} in {place_text})",
                    inst.address(),
                    inst.resource_type()
                ));
                Resolution::Resource {
                    instance: *only,
                    chain,
                    inferred: true,
                }
            }
            [] => Resolution::Unknown(format!(
                "{} goes through {through}, which the plan does not show, and {place_text} has no {}",
                chain.join(" -> "),
                wanted.join(" or ")
            )),
            many => {
                let names: Vec<&str> = many.iter().map(|&i| self.instances[i].address()).collect();
                Resolution::Unknown(format!(
                    "{} goes through {through}, which the plan does not show, and {place_text} has {} candidates: {}",
                    chain.join(" -> "),
                    many.len(),
                    names.join(", ")
                ))
            }
        }
    }

    /// The instances in the child module instances of `module`, at any depth.
    fn below_module<'s>(&'s self, module: &'s str) -> impl Iterator<Item = usize> + 's {
        let prefix = if module.is_empty() {
            "module.".to_string()
        } else {
            format!("{module}.module.")
        };
        (0..self.instances.len()).filter(move |&i| self.instances[i].module.starts_with(&prefix))
    }

    fn in_module<'s>(&'s self, module: &'s str) -> impl Iterator<Item = usize> + 's {
        (0..self.instances.len()).filter(move |&i| self.instances[i].module == module)
    }

    /// The distinct instances of a module call (`module.vpc`, `module.vpc["a"]`, ...) that
    /// hold resources, directly or in nested modules.
    fn child_instances(&self, prefix: &str) -> Vec<String> {
        let mut found: Vec<String> = self
            .instances
            .iter()
            .filter_map(|inst| {
                let rest = inst.module.strip_prefix(prefix)?;
                if rest.is_empty() || rest.starts_with('.') {
                    return Some(prefix.to_string());
                }
                let close = matching_bracket(rest)?;
                Some(format!("{prefix}{}", &rest[..=close]))
            })
            .collect();
        found.sort();
        found.dedup();
        found
    }
}

#[derive(Debug, Clone)]
struct Reference {
    text: String,
    kind: RefKind,
}

#[derive(Debug, Clone)]
enum RefKind {
    Resource {
        resource_type: String,
        name: String,
        key: Option<String>,
    },
    ModuleOutput {
        call: String,
        key: Option<String>,
        output: Option<String>,
    },
    Variable(String),
    Local(String),
    /// `data.TYPE.NAME`.
    Data(String),
}

impl Reference {
    /// `None` for what names no value of its own: count.index, each.key, path.module, ...
    fn parse(text: &str) -> Option<Reference> {
        let parts = traversal(text)?;
        let first = parts.first()?;
        let second = parts.get(1);
        let kind = match (first.0.as_str(), second) {
            ("count" | "each" | "path" | "terraform" | "self", _) => return None,
            ("var", Some((name, _))) => RefKind::Variable(name.clone()),
            ("local", Some((name, _))) => RefKind::Local(name.clone()),
            ("data", Some((resource_type, _))) => RefKind::Data(format!(
                "data.{resource_type}.{}",
                parts.get(2).map(|(n, _)| n.as_str()).unwrap_or("")
            )),
            ("module", Some((call, key))) => RefKind::ModuleOutput {
                call: call.clone(),
                key: key.clone(),
                output: parts.get(2).map(|(o, _)| o.clone()),
            },
            (resource_type, Some((name, key))) => RefKind::Resource {
                resource_type: resource_type.to_string(),
                name: name.clone(),
                key: key.clone(),
            },
            _ => return None,
        };
        Some(Reference {
            text: text.to_string(),
            kind,
        })
    }

    /// What a reference is to, whatever attribute or key follows.
    fn identity(&self) -> String {
        match &self.kind {
            RefKind::Resource {
                resource_type,
                name,
                ..
            } => format!("{resource_type}.{name}"),
            RefKind::ModuleOutput { call, output, .. } => {
                format!("module.{call}.{}", output.as_deref().unwrap_or(""))
            }
            RefKind::Variable(n) => format!("var.{n}"),
            RefKind::Local(n) => format!("local.{n}"),
            RefKind::Data(address) => address.clone(),
        }
    }

    /// Keyed references say more than unkeyed ones; outputs more than whole modules.
    fn specificity(&self) -> u8 {
        match &self.kind {
            RefKind::Resource { key, .. } => u8::from(key.is_some()),
            RefKind::ModuleOutput { key, output, .. } => {
                u8::from(key.is_some()) + u8::from(output.is_some())
            }
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traversals_split_names_and_keys() {
        assert_eq!(
            traversal(r#"module.a["x.y"].module.b"#),
            Some(vec![
                ("module".into(), None),
                ("a".into(), Some(r#""x.y""#.into())),
                ("module".into(), None),
                ("b".into(), None)
            ])
        );
        assert_eq!(
            split_last_module(r#"module.a["x"].module.b[1]"#),
            Some((r#"module.a["x"]"#.into(), "b".into(), Some("1".into())))
        );
        assert_eq!(split_last_module(""), None);
    }

    #[test]
    fn references_keep_their_kind() {
        let r = Reference::parse("aws_vpc.this[0].id").unwrap();
        assert!(matches!(r.kind, RefKind::Resource { ref key, .. } if key.as_deref() == Some("0")));
        assert!(Reference::parse("count.index").is_none());
        let m = Reference::parse(r#"module.vpc["a"].vpc_id"#).unwrap();
        assert!(
            matches!(m.kind, RefKind::ModuleOutput { ref output, .. } if output.as_deref() == Some("vpc_id"))
        );
    }
}
