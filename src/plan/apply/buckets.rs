//! S3 buckets: the four split resources (lifecycle, versioning, encryption, public access
//! block) or the legacy inline blocks, what S3 gives a new bucket, and deleted settings.

use super::*;

impl Builder<'_> {
    pub(super) fn buckets(&mut self) {
        // Split resources first: each names its bucket.
        let mut split: BTreeMap<(&'static str, String), usize> = BTreeMap::new();
        for (kind, resource_type) in [
            ("lifecycle", "aws_s3_bucket_lifecycle_configuration"),
            ("versioning", "aws_s3_bucket_versioning"),
            (
                "encryption",
                "aws_s3_bucket_server_side_encryption_configuration",
            ),
            ("public access block", "aws_s3_bucket_public_access_block"),
        ] {
            for i in self.of_type(&[resource_type]) {
                match self.target(i, "bucket", &["aws_s3_bucket"]) {
                    Target::Id(bucket) => {
                        self.touch(i, &bucket);
                        if self.inst(i).deleted() {
                            self.delete_bucket_setting(i, kind, &bucket);
                        } else {
                            split.insert((kind, bucket), i);
                        }
                    }
                    Target::Unset | Target::Unknown(_) => {
                        // It could be any bucket's: every bucket's setting is unknown.
                        let id = self.ids[i].clone();
                        let reason = format!(
                            "the bucket of {} is not known before apply, so any bucket's {kind} may be the one it sets",
                            self.inst(i).address()
                        );
                        self.unknown(
                            i,
                            &id,
                            "bucket",
                            reason,
                            &["S3L", "SEC"],
                            Reach::Unplaced { coverage: false },
                        );
                        let names: Vec<String> = self
                            .of_type(&["aws_s3_bucket"])
                            .into_iter()
                            .map(|b| self.ids[b].clone())
                            .collect();
                        for name in names {
                            self.unknown(
                                i,
                                &name,
                                kind,
                                format!(
                                    "{} may set it, and its bucket is not known before apply",
                                    self.inst(i).address()
                                ),
                                &["S3L", "SEC"],
                                Reach::Own,
                            );
                        }
                    }
                }
            }
        }
        for i in self.of_type(&["aws_s3_bucket"]) {
            let name = self.ids[i].clone();
            let before = self.before_id(i, "bucket");
            if self.inst(i).deleted() {
                self.snapshot
                    .buckets
                    .retain(|b| Some(&b.name) != before.as_ref());
                continue;
            }
            let existing = self
                .snapshot
                .buckets
                .iter()
                .find(|b| b.name == name)
                .cloned();
            let created = self.inst(i).change.change.before.is_none();
            let mut bucket = existing.unwrap_or_else(|| Bucket {
                name: name.clone(),
                exists: Some(true),
                owner_account_id: Some(self.account.clone()),
                region: Some(self.regions[i].clone()),
                versioning: None,
                lifecycle: None,
                encryption: None,
                public_access_block: None,
            });
            bucket.exists = Some(true);
            // Lifecycle: the split resource wins over the legacy inline blocks.
            if let Some(&l) = split.get(&("lifecycle", name.clone())) {
                bucket.lifecycle = self.split_lifecycle(l, &name);
            } else if let Some(rules) = self.inline(i, &name, "lifecycle_rule", created) {
                bucket.lifecycle = Some(BucketLifecycle {
                    rules: rules.iter().map(inline_lifecycle_rule).collect(),
                    transition_default_minimum_object_size: None,
                });
            }
            if let Some(&v) = split.get(&("versioning", name.clone())) {
                let status = self.value(
                    v,
                    &name,
                    "versioning_configuration",
                    &["S3L003", "S3L005"],
                    false,
                );
                bucket.versioning = status.map(|c| BucketVersioning {
                    status: first(&c)
                        .and_then(|c| c.get("status"))
                        .and_then(Value::as_str)
                        .filter(|s| *s != "Disabled")
                        .map(str::to_string),
                    mfa_delete: None,
                });
            } else if let Some(blocks) = self.inline(i, &name, "versioning", created) {
                let enabled = blocks
                    .first()
                    .and_then(|b| b.get("enabled"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                bucket.versioning = Some(BucketVersioning {
                    status: enabled.then(|| "Enabled".to_string()),
                    mfa_delete: None,
                });
            }
            if let Some(&e) = split.get(&("encryption", name.clone())) {
                let rules = self.value(e, &name, "rule", &["SEC001"], false);
                bucket.encryption = rules.map(|r| BucketEncryption {
                    rules: encryption_rules(&r),
                });
            } else if let Some(blocks) =
                self.inline(i, &name, "server_side_encryption_configuration", created)
            {
                let rules = blocks
                    .first()
                    .and_then(|b| b.get("rule"))
                    .cloned()
                    .unwrap_or(Value::Null);
                bucket.encryption = Some(BucketEncryption {
                    rules: encryption_rules(&rules),
                });
            }
            if let Some(&p) = split.get(&("public access block", name.clone())) {
                let flag = |field: &str| {
                    self.inst(p)
                        .after(field)
                        .and_then(Value::as_bool)
                        .unwrap_or(false)
                };
                bucket.public_access_block = Some(PublicAccessBlock {
                    block_public_acls: flag("block_public_acls"),
                    ignore_public_acls: flag("ignore_public_acls"),
                    block_public_policy: flag("block_public_policy"),
                    restrict_public_buckets: flag("restrict_public_buckets"),
                });
            }
            if created {
                // What S3 gives every new bucket: SSE-S3 encryption (since January 2023),
                // all four public access block settings (since April 2023), no
                // versioning and no lifecycle.
                bucket.encryption.get_or_insert_with(|| BucketEncryption {
                    rules: vec![EncryptionRule {
                        sse_algorithm: "AES256".to_string(),
                        kms_master_key_id: None,
                        bucket_key_enabled: None,
                    }],
                });
                bucket.public_access_block.get_or_insert(PublicAccessBlock {
                    block_public_acls: true,
                    ignore_public_acls: true,
                    block_public_policy: true,
                    restrict_public_buckets: true,
                });
                bucket.versioning.get_or_insert(BucketVersioning {
                    status: None,
                    mfa_delete: None,
                });
                bucket.lifecycle.get_or_insert(BucketLifecycle {
                    rules: vec![],
                    transition_default_minimum_object_size: None,
                });
            }
            for (setting, missing, affects) in [
                ("lifecycle", bucket.lifecycle.is_none(), "S3L"),
                ("versioning", bucket.versioning.is_none(), "S3L"),
                ("encryption", bucket.encryption.is_none(), "SEC001"),
                (
                    "public access block",
                    bucket.public_access_block.is_none(),
                    "SEC002",
                ),
            ] {
                if missing && !split.contains_key(&(setting, name.clone())) {
                    let reason = format!(
                        "bucket {name} exists already and the plan does not show its {setting}; pass --with-snapshot or --live"
                    );
                    let affects: Rules = match affects {
                        "S3L" => &["S3L", "COL002"],
                        "SEC001" => &["SEC001", "COL002"],
                        _ => &["SEC002", "COL002"],
                    };
                    self.unknown(i, &name, setting, reason, affects, Reach::Own);
                }
            }
            self.snapshot.buckets.retain(|b| b.name != name);
            self.snapshot.buckets.push(bucket);
        }
        self.snapshot.buckets.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// A legacy inline block list of a bucket, when the plan shows it: known, or unknown
    /// only because the provider computes it for a new bucket the configuration leaves it
    /// out of (then it is empty).
    pub(super) fn inline(
        &mut self,
        i: usize,
        name: &str,
        attribute: &str,
        created: bool,
    ) -> Option<Vec<Value>> {
        let inst = self.inst(i);
        if let Some(v) = inst.after(attribute) {
            return Some(v.as_array().cloned().unwrap_or_default());
        }
        if !inst.unknown(attribute) {
            return None;
        }
        if self.configured(i, attribute) {
            let reason = format!(
                "`{attribute}` of {} is known only after apply",
                inst.address()
            );
            self.unknown(i, name, attribute, reason, &["S3L", "SEC"], Reach::Own);
            return None;
        }
        created.then(Vec::new)
    }

    pub(super) fn split_lifecycle(&mut self, i: usize, bucket: &str) -> Option<BucketLifecycle> {
        let rules = self.value(i, bucket, "rule", &["S3L"], false)?;
        Some(BucketLifecycle {
            rules: rules
                .as_array()
                .map(|r| r.iter().map(split_lifecycle_rule).collect())
                .unwrap_or_default(),
            transition_default_minimum_object_size: self
                .inst(i)
                .after_str("transition_default_minimum_object_size")
                .map(str::to_string),
        })
    }

    pub(super) fn delete_bucket_setting(&mut self, i: usize, kind: &str, bucket: &str) {
        let address = self.inst(i).address().to_string();
        if let Some(b) = self.snapshot.buckets.iter_mut().find(|b| b.name == bucket) {
            match kind {
                "lifecycle" => {
                    b.lifecycle = Some(BucketLifecycle {
                        rules: vec![],
                        transition_default_minimum_object_size: None,
                    })
                }
                "public access block" => b.public_access_block = Some(PublicAccessBlock::default()),
                _ => {}
            }
        }
        if kind == "lifecycle" {
            self.changes.push(PlanChange {
                resource_id: bucket.to_string(),
                address,
                change: format!("deletes the lifecycle configuration of bucket {bucket}: its rules no longer expire flow-log objects"),
            });
        }
    }
}
