//! The `.tf` files of a plan's configuration, read for one thing: where each `resource`
//! block and `module` call is written, so that a finding points at a file and line.
//!
//! Local module sources (`./modules/vpc`) are followed, and registry modules through
//! `.terraform/modules/modules.json`, which `terraform init` writes. A resource in a module
//! whose files are not in the tree points at the `module` call that brings it in. A file
//! that does not parse is a warning; it changes no verdict.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

use super::addresses::traversal;
use crate::findings::{Finding, SourceLocation};

/// How deep module calls are followed; a source that loops back is cut off there.
const MAX_MODULE_DEPTH: usize = 16;

/// Where each resource block and module call of a configuration is written, by its address
/// without instance keys: `aws_vpc.main`, `module.vpc`, `module.vpc.aws_flow_log.this`.
#[derive(Debug, Default)]
pub struct TerraformFiles {
    places: BTreeMap<String, Place>,
    /// Files that could not be read or parsed, as `file:line:column: what`.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
struct Place {
    file: String,
    line: usize,
    column: usize,
}

/// `.terraform/modules/modules.json`: where `terraform init` put each module call's files.
#[derive(Deserialize)]
struct ModulesManifest {
    #[serde(rename = "Modules", default)]
    modules: Vec<ManifestEntry>,
}

#[derive(Deserialize)]
struct ManifestEntry {
    /// The call path, `vpc` or `vpc.flow_logs`.
    #[serde(rename = "Key")]
    key: String,
    /// Relative to the root module's folder.
    #[serde(rename = "Dir")]
    dir: String,
}

impl TerraformFiles {
    /// Reads the configuration rooted at `dir`. File names are given relative to the
    /// repository root (the nearest folder up from `dir` that holds `.git`), or else to
    /// the current directory.
    pub fn load(dir: &Path) -> TerraformFiles {
        let mut files = TerraformFiles::default();
        let base = repository_root(dir);
        let manifest = read_manifest(dir, &mut files.warnings);
        files.visit(dir, &base, &manifest, dir, &[], 0);
        files
    }

    fn visit(
        &mut self,
        root: &Path,
        base: &Path,
        manifest: &BTreeMap<String, PathBuf>,
        dir: &Path,
        calls: &[String],
        depth: usize,
    ) {
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
                .collect(),
            Err(e) => {
                self.warnings
                    .push(format!("{}: cannot read the folder: {e}", dir.display()));
                return;
            }
        };
        paths.sort();
        let prefix: String = calls.iter().map(|c| format!("module.{c}.")).collect();
        for path in paths {
            let shown = shown_path(&path, base);
            let text = match std::fs::read(&path)
                .map_err(|e| e.to_string())
                .and_then(|b| String::from_utf8(b).map_err(|e| e.to_string()))
            {
                Ok(text) => text,
                Err(e) => {
                    self.warnings.push(format!("{shown}: cannot read: {e}"));
                    continue;
                }
            };
            let body = match hcl_edit::parser::parse_body(&text) {
                Ok(body) => body,
                Err(e) => {
                    let at = e.location();
                    self.warnings.push(format!(
                        "{shown}:{}:{}: cannot parse: {}",
                        at.line(),
                        at.column(),
                        e.message()
                    ));
                    continue;
                }
            };
            for block in body.blocks() {
                use hcl_edit::Span as _;
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                let key = match (block.ident.as_str(), labels.as_slice()) {
                    ("resource", [kind, name]) => format!("{prefix}{kind}.{name}"),
                    ("module", [name]) => format!("{prefix}module.{name}"),
                    _ => continue,
                };
                let offset = block.span().map_or(0, |s| s.start);
                let (line, column) = line_column_chars(&text, offset);
                self.places.entry(key).or_insert(Place {
                    file: shown.clone(),
                    line,
                    column,
                });
                if let ("module", [name]) = (block.ident.as_str(), labels.as_slice())
                    && depth < MAX_MODULE_DEPTH
                {
                    let source = block
                        .body
                        .get_attribute("source")
                        .and_then(|a| a.value.as_str())
                        .unwrap_or_default();
                    let mut path = calls.to_vec();
                    path.push(name.to_string());
                    let child = if source.starts_with("./") || source.starts_with("../") {
                        Some(dir.join(source))
                    } else {
                        manifest.get(&path.join(".")).map(|d| root.join(d))
                    };
                    if let Some(child) = child.filter(|c| c.is_dir()) {
                        self.visit(root, base, manifest, &child, &path, depth + 1);
                    }
                }
            }
        }
    }

    /// Where a Terraform address is written: its resource block, or the innermost module
    /// call on its path whose files are in the tree.
    pub fn locate(&self, address: &str) -> Option<SourceLocation> {
        let names: Vec<String> = traversal(address)?.into_iter().map(|(n, _)| n).collect();
        let mut keys = vec![names.join(".")];
        // module.a.module.b.TYPE.NAME -> module.a.module.b, then module.a.
        let calls = names.len().saturating_sub(2) / 2;
        for depth in (1..=calls).rev() {
            keys.push(names[..depth * 2].join("."));
        }
        keys.iter().find_map(|key| {
            self.places.get(key).map(|p| SourceLocation {
                file: p.file.clone(),
                line: p.line,
                column: p.column,
                address: address.to_string(),
            })
        })
    }

    pub fn is_empty(&self) -> bool {
        self.places.is_empty()
    }
}

/// Gives each finding of a plan report the place of its resource in the `.tf` files:
/// through the address the plan holds for its resource (a bucket's for an S3 prefix), or
/// for an unknown value the address that sets it.
pub fn locate_findings(
    findings: &mut [Finding],
    addresses: &BTreeMap<String, String>,
    files: &TerraformFiles,
) {
    for f in findings {
        let address = match addresses.get(f.subject_id()) {
            Some(a) => Some(a.clone()),
            None if f.resource_type == "terraform-resource" => f
                .evidence
                .to_value()
                .get("address")
                .and_then(serde_json::Value::as_str)
                .map(str::to_string),
            None => None,
        };
        if let Some(address) = address {
            f.source = files.locate(&address).map(Box::new);
        }
    }
}

/// The call path -> folder of each module `terraform init` installed.
fn read_manifest(root: &Path, warnings: &mut Vec<String>) -> BTreeMap<String, PathBuf> {
    let path = root.join(".terraform/modules/modules.json");
    let Ok(bytes) = std::fs::read(&path) else {
        return BTreeMap::new();
    };
    match serde_json::from_slice::<ModulesManifest>(&bytes) {
        Ok(manifest) => manifest
            .modules
            .into_iter()
            .filter(|m| !m.key.is_empty())
            .map(|m| (m.key, PathBuf::from(m.dir)))
            .collect(),
        Err(e) => {
            warnings.push(format!(
                "{}:{}:{}: cannot read the module manifest: {e}",
                path.display(),
                e.line(),
                e.column()
            ));
            BTreeMap::new()
        }
    }
}

/// The nearest folder up from `dir` that holds `.git`, or else the current directory.
fn repository_root(dir: &Path) -> PathBuf {
    let start = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    start
        .ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default()
}

/// `path` relative to `base` with `/` separators, when it is inside it; else as it is.
fn shown_path(path: &Path, base: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let normal: PathBuf = absolute.components().fold(PathBuf::new(), |mut p, c| {
        match c {
            Component::ParentDir => {
                p.pop();
            }
            Component::CurDir => {}
            other => p.push(other),
        }
        p
    });
    match normal.strip_prefix(base) {
        Ok(relative) => relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => path.display().to_string(),
    }
}

/// The 1-based line and column, in characters, of a byte offset.
fn line_column_chars(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_fall_back_to_the_module_call() {
        let mut files = TerraformFiles::default();
        let place = |line| Place {
            file: "main.tf".into(),
            line,
            column: 1,
        };
        files.places.insert("module.net".into(), place(3));
        files
            .places
            .insert("module.net.module.vpc".into(), place(7));
        files
            .places
            .insert("module.net.aws_flow_log.main".into(), place(9));
        let line = |a: &str| files.locate(a).map(|l| l.line);
        assert_eq!(line(r#"module.net["a.b"].aws_flow_log.main[0]"#), Some(9));
        assert_eq!(line("module.net.module.vpc.aws_vpc.this[0]"), Some(7));
        assert_eq!(line("module.net.aws_subnet.x"), Some(3));
        assert_eq!(line("aws_vpc.main"), None);
        assert_eq!(line_column_chars("ab\n  éx", 7), (2, 4));
    }
}
