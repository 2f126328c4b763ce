//! Terraform addresses as text: `module.net["a.b"].module.vpc.aws_vpc.this[0]` split into
//! names and keys, quotes respected, for following references and for finding a resource
//! in the `.tf` files.

use serde_json::Value;

/// An index or key as written in an address: `0`, or `"a"` with JSON quoting.
pub(super) fn key_text(index: &Value) -> String {
    match index {
        Value::String(s) => serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\"")),
        other => other.to_string(),
    }
}

pub(super) fn join_module(module: &str, call: &str) -> String {
    if module.is_empty() {
        call.to_string()
    } else {
        format!("{module}.{call}")
    }
}

/// The position of the `]` that closes the `[` at the start of `text`, quotes respected.
pub(super) fn matching_bracket(text: &str) -> Option<usize> {
    if !text.starts_with('[') {
        return None;
    }
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        match (in_string, escaped, c) {
            (true, true, _) => escaped = false,
            (true, false, '\\') => escaped = true,
            (true, false, '"') => in_string = false,
            (false, _, '"') => in_string = true,
            (false, _, ']') => return Some(i),
            _ => {}
        }
    }
    None
}

/// A traversal split into its names, each with the key that follows it, if any:
/// `module.a["x"].module.b` -> [("module", None), ("a", Some("\"x\"")), ("module", None), ("b", None)].
pub(super) fn traversal(text: &str) -> Option<Vec<(String, Option<String>)>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        let name = rest[..end].to_string();
        rest = &rest[end..];
        let mut key = None;
        if rest.starts_with('[') {
            let close = matching_bracket(rest)?;
            key = Some(rest[1..close].to_string());
            rest = &rest[close + 1..];
        }
        parts.push((name, key));
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if !rest.is_empty() && rest.starts_with('[') {
            return None;
        }
    }
    Some(parts)
}

/// `module.a["x"].module.b` -> [("a", Some("\"x\"")), ("b", None)].
pub(super) fn module_segments(module: &str) -> Vec<(String, Option<String>)> {
    let Some(parts) = traversal(module) else {
        return Vec::new();
    };
    parts
        .chunks(2)
        .filter_map(|pair| match pair {
            [(m, None), (name, key)] if m == "module" => Some((name.clone(), key.clone())),
            _ => None,
        })
        .collect()
}

/// A module instance's parent, its call name and its key: `module.a.module.b["k"]` ->
/// (`module.a`, `b`, Some(`"k"`)). `None` for the root module.
pub(super) fn split_last_module(module: &str) -> Option<(String, String, Option<String>)> {
    let segments = module_segments(module);
    let ((call, key), parents) = segments.split_last()?;
    let parent = parents
        .iter()
        .map(|(name, key)| match key {
            Some(k) => format!("module.{name}[{k}]"),
            None => format!("module.{name}"),
        })
        .collect::<Vec<_>>()
        .join(".");
    Some((parent, call.clone(), key.clone()))
}
