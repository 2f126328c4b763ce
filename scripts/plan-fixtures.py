#!/usr/bin/env python3
"""Writes the Terraform plan fixtures in fixtures/plans/.

No Terraform binary can run here, so each plan is built in the exact shape that
`terraform show -json PLANFILE` writes (format_version 1.2, documented in Terraform's "JSON
Output Format"): resource_changes with before/after/after_unknown, and a configuration with
provider_config, module_calls and expressions with references. The resources mirror what
the AWS provider (v5) and terraform-aws-modules/vpc (v5) plan: computed ids and ARNs are
unknown, optional+computed attributes left out of the configuration are unknown, nested
blocks are lists.

Older plans: format_version 0.1 (Terraform 0.12 to 0.15) and 0.2 (1.0) twins of some
plans are derived from them as those versions wrote them: no timestamp, relevant_attributes
or checks, and for 0.12/0.13 no sensitivity maps and references that name only the resource
(`aws_vpc.main`, never `aws_vpc.main.id`). One plan is also written as UTF-16 LE with a
byte-order mark, as PowerShell's `>` saves it.

fixtures/terraform/ holds a configuration's .tf files and the plan of it, for findings that
point at file and line.

Run: python3 scripts/plan-fixtures.py   (rewrites fixtures/plans/*.json and
fixtures/terraform/plan.json)
"""
import copy
import json
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "plans")
PROVIDER = "registry.terraform.io/hashicorp/aws"
TAGS = lambda env: {"Environment": env}

# Attributes each resource type computes when the configuration leaves them out.
COMPUTED = {
    "aws_vpc": ["id", "arn", "owner_id", "default_route_table_id", "main_route_table_id", "tags_all"],
    "aws_subnet": ["id", "arn", "owner_id", "tags_all"],
    "aws_flow_log": ["id", "arn", "log_format", "log_group_name", "tags_all"],
    "aws_cloudwatch_log_group": ["id", "arn", "log_group_class", "tags_all"],
    "aws_s3_bucket": ["id", "arn", "bucket_domain_name", "region", "lifecycle_rule", "versioning",
                      "server_side_encryption_configuration", "tags_all"],
    "aws_s3_bucket_lifecycle_configuration": ["id"],
    "aws_s3_bucket_versioning": ["id"],
    "aws_s3_bucket_server_side_encryption_configuration": ["id"],
    "aws_s3_bucket_public_access_block": ["id"],
    "aws_iam_role": ["id", "arn", "unique_id"],
    "aws_vpc_ipv4_cidr_block_association": ["id"],
}


def existing_estate():
    """The estate the plans change, as `flowaudit collect` would record it: the applied VPC
    of deletes-flow-log.json with its flow log and 30-day log group, and the log-archive
    account's central bucket, compliant with the production policy."""
    account, region = "111122223333", "eu-west-1"
    snapshot = {
        "schema_version": 1,
        "tool": {"name": "flowaudit", "version": "0.1.0"},
        "collected_at": "2026-11-20T03:00:00Z",
        "scope": {"accounts": [account], "regions": [region]},
        "accounts": [{"account_id": account, "regions": [{
            "region": region,
            "vpcs": [{"VpcId": "vpc-0a1b2c3d4e5f60718", "CidrBlock": "10.0.0.0/16", "OwnerId": account,
                      "IsDefault": False, "State": "available", "Tags": [{"Key": "Environment", "Value": "staging"}]}],
            "subnets": [{"SubnetId": "subnet-0a1b2c3d4e5f60718", "VpcId": "vpc-0a1b2c3d4e5f60718",
                         "AvailabilityZone": "eu-west-1a", "CidrBlock": "10.0.1.0/24", "OwnerId": account, "Tags": []}],
            "network_interfaces": [{"NetworkInterfaceId": "eni-0a1b2c3d4e5f60718", "SubnetId": "subnet-0a1b2c3d4e5f60718",
                                    "VpcId": "vpc-0a1b2c3d4e5f60718", "InterfaceType": "interface", "RequesterManaged": False,
                                    "Status": "in-use", "OwnerId": account}],
            "flow_logs": [{"FlowLogId": "fl-0123456789abcdef0", "ResourceId": "vpc-0a1b2c3d4e5f60718", "TrafficType": "ALL",
                           "LogDestinationType": "cloud-watch-logs",
                           "LogDestination": f"arn:aws:logs:{region}:{account}:log-group:/vpc/main/flow-logs",
                           "LogGroupName": "/vpc/main/flow-logs", "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "SUCCESS",
                           "MaxAggregationInterval": 600, "Tags": []}],
            "log_groups": [{"logGroupName": "/vpc/main/flow-logs",
                            "arn": f"arn:aws:logs:{region}:{account}:log-group:/vpc/main/flow-logs:*",
                            "retentionInDays": 30, "logGroupClass": "STANDARD"}],
            "delivery_streams": [],
            "transit_gateways": [],
        }]}],
        "buckets": [{
            "Name": "acme-central-flow-logs", "Exists": True, "OwnerAccountId": "999988887777", "Region": region,
            "Versioning": {"Status": "Enabled"},
            "Lifecycle": {"TransitionDefaultMinimumObjectSize": "varies_by_storage_class", "Rules": [{
                "ID": "flow-logs", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"},
                "Expiration": {"Days": 180}, "Transitions": [{"Days": 30, "StorageClass": "GLACIER"}],
                "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
            "Encryption": {"Rules": [{"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/flow-logs", "BucketKeyEnabled": True}]},
            "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                  "RestrictPublicBuckets": True},
        }],
        "collection_errors": [],
    }
    with open(os.path.join(OUT, "existing-estate.json"), "w") as f:
        json.dump(snapshot, f, indent=2)
        f.write("\n")


class Plan:
    def __init__(self, region="eu-west-1", account=None):
        self.changes = []
        self.root = {"resources": [], "module_calls": {}}
        self.region = region
        self.account = account

    def module(self, path, source="./modules/x", expressions=None):
        """The configuration of a module path like ["network", "vpc"], created on demand."""
        config = self.root
        for name in path:
            calls = config.setdefault("module_calls", {})
            if name not in calls:
                calls[name] = {"source": source, "expressions": {}, "module": {"resources": [], "module_calls": {}}}
            if expressions is not None and name == path[-1]:
                calls[name]["expressions"].update(expressions)
            config = calls[name]["module"]
        return config

    def output(self, path, name, references):
        self.module(path).setdefault("outputs", {})[name] = {"expression": {"references": references}}

    def resource(self, rtype, name, after, *, module=(), module_instance=None, index=None,
                 refs=None, constants=None, unknown=(), actions=("create",), before=None,
                 count=False, for_each=False, blocks=None, config_only=False):
        """One resource: its configuration (once per resource) and, unless config_only, one
        resource_changes entry for this instance.

        refs: attribute -> references (the attribute's value is unknown in the plan).
        constants: attribute -> constant_value in the configuration.
        unknown: further attributes whose value is unknown (computed).
        """
        refs = refs or {}
        constants = constants if constants is not None else {k: v for k, v in after.items() if not isinstance(v, (list, dict))}
        config = self.module(list(module))
        exists = [r for r in config["resources"] if r["type"] == rtype and r["name"] == name]
        if not exists:
            expressions = {k: {"constant_value": v} for k, v in constants.items()}
            for k, v in refs.items():
                expressions[k] = {"references": v}
            for k, v in (blocks or {}).items():
                expressions[k] = v
            entry = {"address": f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
                     "provider_config_key": "aws" if not module else f"module.{'.module.'.join(module)}:aws",
                     "expressions": expressions, "schema_version": 0}
            if count:
                entry["count_expression"] = {"references": ["var.create"]}
            if for_each:
                entry["for_each_expression"] = {"references": ["var.environments"]}
            config["resources"].append(entry)
        if config_only:
            return
        mod_addr = module_instance if module_instance is not None else (".".join(f"module.{m}" for m in module))
        key = ""
        if index is not None:
            key = f"[{json.dumps(index)}]"
        address = (mod_addr + "." if mod_addr else "") + f"{rtype}.{name}{key}"
        full_after = dict(after)
        after_unknown = {}
        for attr in list(refs) + list(unknown) + COMPUTED.get(rtype, []):
            if attr in after and attr not in refs and attr not in unknown:
                continue  # configured and known
            full_after.pop(attr, None)
            after_unknown[attr] = True
        if "deleted" in actions or actions == ("delete",):
            full_after = None
            after_unknown = {}
        change = {
            "address": address, "mode": "managed", "type": rtype, "name": name,
            "provider_name": PROVIDER,
            "change": {
                "actions": list(actions),
                "before": before,
                "after": full_after,
                "after_unknown": after_unknown,
                "before_sensitive": False if before is None else {},
                "after_sensitive": False if full_after is None else {},
            },
        }
        if mod_addr:
            change["module_address"] = mod_addr
        if index is not None:
            change["index"] = index
        self.changes.append(change)

    def write(self, name, out=None):
        provider = {"region": {"constant_value": self.region}}
        if self.account:
            provider["allowed_account_ids"] = {"constant_value": [self.account]}
        doc = {
            "format_version": "1.2",
            "terraform_version": "1.9.8",
            "planned_values": {"root_module": {}},
            "resource_changes": self.changes,
            "configuration": {
                "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "expressions": provider}},
                "root_module": self.root,
            },
            "timestamp": "2026-11-20T09:00:00Z",
            "applyable": True,
            "complete": True,
            "errored": False,
        }
        with open(os.path.join(out or OUT, name), "w") as f:
            json.dump(doc, f, indent=2, sort_keys=False)
            f.write("\n")


def resource_subject(ref):
    """What a Terraform 0.12/0.13 reference named: the resource (with its key), the module
    output, the variable or local, never the attribute after it."""
    parts, depth, current = [], 0, ""
    for c in ref:
        if c == "." and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += {"[": 1, "]": -1}.get(c, 0)
        current += c
    parts.append(current)
    keep = {"data": 3, "module": 3, "var": 2, "local": 2, "count": 2, "each": 2, "path": 2}.get(parts[0].split("[")[0], 2)
    return ".".join(parts[:keep])


def old_references(node):
    """Rewrites every `references` list of a configuration the way Terraform 0.12 wrote it."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == "references" and isinstance(v, list):
                seen = []
                for r in v:
                    subject = resource_subject(r)
                    if subject not in seen:
                        seen.append(subject)
                node[k] = seen
            else:
                old_references(v)
    elif isinstance(node, list):
        for v in node:
            old_references(v)


def legacy_twin(source, format_version, terraform_version):
    """The plan `source` as an older Terraform wrote it, as SOURCE.format-X.json."""
    with open(os.path.join(OUT, source)) as f:
        doc = json.load(f)
    doc["format_version"] = format_version
    doc["terraform_version"] = terraform_version
    for newer in ("timestamp", "relevant_attributes", "checks", "applyable", "complete", "errored"):
        doc.pop(newer, None)
    if format_version == "0.1":
        # Terraform 0.12 and 0.13: no sensitivity maps, and references name the resource only.
        for rc in doc["resource_changes"]:
            rc["change"].pop("before_sensitive", None)
            rc["change"].pop("after_sensitive", None)
        old_references(doc["configuration"])
    name = source.replace(".json", f".format-{format_version}.json")
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")


def utf16_twin(source):
    """The plan `source` saved by PowerShell's `>`: UTF-16 LE with a byte-order mark."""
    with open(os.path.join(OUT, source), encoding="utf-8") as f:
        text = f.read()
    with open(os.path.join(OUT, source.replace(".json", ".utf16.json")), "wb") as f:
        f.write(b"\xff\xfe" + text.replace("\n", "\r\n").encode("utf-16-le"))


def vpc(plan, name="main", env="prod", **kw):
    plan.resource("aws_vpc", name, {"cidr_block": "10.0.0.0/16", "enable_dns_support": True,
                                    "tags": TAGS(env)}, **kw)


def compliant_bucket(plan, resource, bucket, prefix="AWSLogs/", module=()):
    plan.resource("aws_s3_bucket", resource, {"bucket": bucket, "force_destroy": False, "tags": {}}, module=module)
    ref = [f"aws_s3_bucket.{resource}.id", f"aws_s3_bucket.{resource}"]
    plan.resource("aws_s3_bucket_lifecycle_configuration", resource, {
        "expected_bucket_owner": None,
        "transition_default_minimum_object_size": "varies_by_storage_class",
        "rule": [{
            "id": "flow-logs", "status": "Enabled",
            "filter": [{"prefix": prefix, "and": [], "tag": [], "object_size_greater_than": None, "object_size_less_than": None}],
            "expiration": [{"days": 180, "date": None, "expired_object_delete_marker": False}],
            "transition": [{"days": 30, "date": None, "storage_class": "GLACIER"}],
            "noncurrent_version_expiration": [{"noncurrent_days": 30, "newer_noncurrent_versions": None}],
            "abort_incomplete_multipart_upload": [], "noncurrent_version_transition": [], "prefix": "",
        }],
    }, refs={"bucket": ref}, constants={}, module=module,
       blocks={"rule": [{"id": {"constant_value": "flow-logs"}, "status": {"constant_value": "Enabled"}}]})
    plan.resource("aws_s3_bucket_versioning", resource, {
        "versioning_configuration": [{"status": "Enabled", "mfa_delete": ""}]},
        refs={"bucket": ref}, constants={}, module=module)
    plan.resource("aws_s3_bucket_server_side_encryption_configuration", resource, {
        "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": "alias/flow-logs"}], "bucket_key_enabled": True}]},
        refs={"bucket": ref}, constants={}, module=module)
    plan.resource("aws_s3_bucket_public_access_block", resource, {
        "block_public_acls": True, "ignore_public_acls": True, "block_public_policy": True, "restrict_public_buckets": True},
        refs={"bucket": ref}, module=module)


def log_group(plan, resource, name, retention, module=(), **kw):
    plan.resource("aws_cloudwatch_log_group", resource, {
        "name": name, "name_prefix": None, "retention_in_days": retention,
        "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "skip_destroy": False, "tags": {}}, module=module, **kw)


def flow_log(plan, resource, after, refs, module=(), **kw):
    base = {"traffic_type": "ALL", "log_destination_type": "cloud-watch-logs", "max_aggregation_interval": 600,
            "destination_options": [], "deliver_cross_account_role": None, "eni_id": None, "subnet_id": None,
            "vpc_id": None, "transit_gateway_id": None, "transit_gateway_attachment_id": None, "tags": {},
            "iam_role_arn": "arn:aws:iam::111122223333:role/flow-logs"}
    base.update(after)
    for attr in refs:
        base.pop(attr, None)
    plan.resource("aws_flow_log", resource, base, refs=refs, module=module, **kw)


def root_compliant():
    # The provider is pinned to the account (allowed_account_ids), so findings carry it.
    p = Plan(account="111122223333")
    vpc(p)
    p.resource("aws_subnet", "a", {"cidr_block": "10.0.1.0/24", "availability_zone": "eu-west-1a", "tags": {}},
               refs={"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]})
    log_group(p, "flow", "/vpc/main/flow-logs", 14)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    compliant_bucket(p, "flow", "acme-prod-flow-logs")
    flow_log(p, "s3", {"log_destination_type": "s3"}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                                      "log_destination": ["aws_s3_bucket.flow.arn", "aws_s3_bucket.flow"]})
    p.write("root-compliant.json")


def tf_modules_vpc(enable):
    """terraform-aws-modules/vpc v5: module.vpc.aws_vpc.this[0], flow log and log group with count."""
    p = Plan()
    m = ("vpc",)
    p.module(list(m), source="terraform-aws-modules/vpc/aws", expressions={
        "name": {"constant_value": "shop"}, "cidr": {"constant_value": "10.20.0.0/16"},
        "private_subnets": {"constant_value": ["10.20.1.0/24", "10.20.2.0/24"]},
        "enable_flow_log": {"constant_value": enable},
        "create_flow_log_cloudwatch_log_group": {"constant_value": enable},
        "create_flow_log_cloudwatch_iam_role": {"constant_value": enable},
        "flow_log_cloudwatch_log_group_retention_in_days": {"constant_value": 14},
        "tags": {"constant_value": {"Environment": "staging"}},
    })
    p.module(list(m))["module_calls"] = {}
    p.resource("aws_vpc", "this", {"cidr_block": "10.20.0.0/16", "enable_dns_support": True,
                                   "tags": {"Name": "shop", "Environment": "staging"}},
               module=m, index=0, count=True, constants={}, refs={})
    p.resource("aws_vpc_ipv4_cidr_block_association", "this", {}, module=m, config_only=True, count=True)
    for i, cidr in enumerate(["10.20.1.0/24", "10.20.2.0/24"]):
        p.resource("aws_subnet", "private", {"cidr_block": cidr, "availability_zone": f"eu-west-1{'ab'[i]}", "tags": {"Name": f"shop-private-{i}"}},
                   module=m, index=i, count=True, refs={"vpc_id": ["local.vpc_id"]}, constants={})
    p.resource("aws_flow_log", "this", {}, module=m, config_only=True, count=True, constants={},
               refs={"vpc_id": ["local.vpc_id"], "log_destination": ["local.flow_log_destination_arn"],
                     "iam_role_arn": ["local.flow_log_iam_role_arn"]},
               blocks={"log_destination_type": {"references": ["var.flow_log_destination_type"]},
                       "traffic_type": {"references": ["var.flow_log_traffic_type"]},
                       "max_aggregation_interval": {"references": ["var.flow_log_max_aggregation_interval"]},
                       "log_format": {"references": ["var.flow_log_log_format"]}})
    p.resource("aws_cloudwatch_log_group", "flow_log", {}, module=m, config_only=True, count=True, constants={},
               refs={"name": ["var.flow_log_cloudwatch_log_group_name_prefix", "local.flow_log_cloudwatch_log_group_name_suffix"],
                     "retention_in_days": ["var.flow_log_cloudwatch_log_group_retention_in_days"],
                     "kms_key_id": ["var.flow_log_cloudwatch_log_group_kms_key_id"],
                     "log_group_class": ["var.flow_log_cloudwatch_log_group_class"]})
    if enable:
        # The module's variables have known values, so `after` shows them; ids and the
        # group's name (built from the VPC id) are unknown.
        flow_log(p, "this", {"log_format": None, "traffic_type": "ALL", "max_aggregation_interval": 600},
                 {"vpc_id": ["local.vpc_id"], "log_destination": ["local.flow_log_destination_arn"],
                  "iam_role_arn": ["local.flow_log_iam_role_arn"]}, module=m, index=0, unknown=["log_format"])
        p.resource("aws_cloudwatch_log_group", "flow_log", {
            "retention_in_days": 14, "kms_key_id": None, "log_group_class": None, "skip_destroy": False,
            "name_prefix": None, "tags": {"Environment": "staging"}},
            module=m, index=0, unknown=["name"],
            refs={"name": ["var.flow_log_cloudwatch_log_group_name_prefix", "local.flow_log_cloudwatch_log_group_name_suffix"]})
        p.resource("aws_iam_role", "vpc_flow_log_cloudwatch", {"name_prefix": "vpc-flow-log-role-"}, module=m, index=0, count=True)
    p.write(f"terraform-aws-modules-vpc-flow-log-{'on' if enable else 'off'}.json")


def nested_modules():
    """module.network calls module.vpc (nested) and module.logs; the root flow log refers
    to an output of module.network that comes from its nested module, and module.logs
    gets the VPC id as a variable."""
    p = Plan()
    p.module(["network"], source="./modules/network", expressions={"environment": {"constant_value": "staging"}})
    p.module(["network", "vpc"], source="./modules/vpc")
    p.module(["network", "logs"], source="./modules/logs", expressions={
        "vpc_id": {"references": ["module.vpc.vpc_id", "module.vpc"]}})
    p.output(["network", "vpc"], "vpc_id", ["aws_vpc.this.id", "aws_vpc.this"])
    p.output(["network"], "vpc_id", ["module.vpc.vpc_id", "module.vpc"])
    p.output(["network"], "log_group_arn", ["module.logs.log_group_arn", "module.logs"])
    p.output(["network", "logs"], "log_group_arn", ["aws_cloudwatch_log_group.this.arn", "aws_cloudwatch_log_group.this"])
    vpc(p, "this", env="staging", module=("network", "vpc"))
    log_group(p, "this", "/network/prod/flow-logs", 30, module=("network", "logs"))
    # In the nested module, the log's VPC comes in as a variable from the parent call.
    flow_log(p, "this", {}, {"vpc_id": ["var.vpc_id"],
                             "log_destination": ["aws_cloudwatch_log_group.this.arn", "aws_cloudwatch_log_group.this"]},
             module=("network", "logs"))
    # A second VPC in the nested module's sibling: covered from the root through outputs.
    vpc(p, "edge", env="staging")
    flow_log(p, "edge", {}, {"vpc_id": ["aws_vpc.edge.id", "aws_vpc.edge"],
                             "log_destination": ["module.network.log_group_arn", "module.network"]})
    p.write("nested-modules.json")


def count_and_for_each():
    p = Plan()
    for env in ["dev", "staging"]:
        p.resource("aws_vpc", "env", {"cidr_block": "10.30.0.0/16", "tags": TAGS(env)}, index=env, for_each=True)
    log_group(p, "flow", "/vpc/flow-logs", 14)
    for env, traffic in [("dev", "REJECT"), ("staging", "ALL")]:
        flow_log(p, "env", {"traffic_type": traffic}, {
            "vpc_id": ["aws_vpc.env", "each.key"],
            "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]},
            index=env, for_each=True)
    # count: two subnets in a third VPC, each with its own subnet-level log.
    vpc(p, "counted", env="staging")
    for i in range(2):
        p.resource("aws_subnet", "counted", {"cidr_block": f"10.40.{i}.0/24", "tags": {}}, index=i, count=True,
                   refs={"vpc_id": ["aws_vpc.counted.id", "aws_vpc.counted"]})
        flow_log(p, "counted", {}, {"subnet_id": ["aws_subnet.counted", "count.index"],
                                     "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]},
                 index=i, count=True)
    p.write("count-and-for-each.json")


def module_for_each():
    """module "env" { for_each = toset(["dev", "prod"]) }: each instance holds one VPC, a
    log group and a flow log whose vpc_id goes through a local. Inference stays inside its
    own module instance: each instance has exactly one VPC, though the plan has two."""
    p = Plan()
    p.module(["env"], source="./modules/env", expressions={"retention": {"constant_value": 14}})
    for env, retention in [("dev", 14), ("prod", 3)]:
        instance = f'module.env["{env}"]'
        vpc(p, "this", env="staging", module=("env",), module_instance=instance)
        log_group(p, "this", f"/vpc/{env}/flow-logs", retention, module=("env",), module_instance=instance)
        flow_log(p, "this", {}, {"vpc_id": ["local.vpc_id"],
                                 "log_destination": ["aws_cloudwatch_log_group.this.arn", "aws_cloudwatch_log_group.this"]},
                 module=("env",), module_instance=instance)
    p.write("module-for-each.json")


def unknown_ids():
    p = Plan()
    vpc(p, "a", env="prod")
    vpc(p, "b", env="prod")
    log_group(p, "flow", "/vpc/flow-logs", 14)
    # From a data source whose value is read only at apply.
    flow_log(p, "shared", {}, {"vpc_id": ["data.aws_vpc.shared.id", "data.aws_vpc.shared"],
                               "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    # Through a local with two VPCs to choose from.
    flow_log(p, "chosen", {}, {"vpc_id": ["local.vpc_id"],
                               "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    p.write("unknown-ids.json")


def central_bucket():
    p = Plan()
    vpc(p, "main", env="prod")
    log_group(p, "flow", "/vpc/main/flow-logs", 14)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    # The central bucket in the log-archive account exists already; the ARN is a literal.
    flow_log(p, "central", {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::acme-central-flow-logs"},
             {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]})
    p.write("central-bucket.json")


def lifecycle_prefix_miss():
    p = Plan()
    vpc(p, "main", env="prod")
    log_group(p, "flow", "/vpc/main/flow-logs", 14)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    compliant_bucket(p, "flow", "acme-prod-flow-logs", prefix="logs/")
    flow_log(p, "s3", {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::acme-prod-flow-logs"},
             {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]})
    p.write("lifecycle-prefix-miss.json")


def retention_zero():
    """A log group with retention_in_days = 0 (never expire), used by a new VPC's log and
    by one on the region's default VPC, which Terraform adopts (its id is known)."""
    p = Plan()
    vpc(p, "main", env="staging")
    log_group(p, "flow", "/vpc/main/flow-logs", 0)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    default = {"id": "vpc-0de7a017de7a017de", "cidr_block": "172.31.0.0/16", "tags": TAGS("staging"),
               "tags_all": TAGS("staging"), "owner_id": "111122223333"}
    p.resource("aws_default_vpc", "default", default, constants={"tags": TAGS("staging")})
    flow_log(p, "default", {"vpc_id": "vpc-0de7a017de7a017de"},
             {"log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    p.write("retention-zero.json")


def legacy_inline_bucket():
    """A bucket configured the provider-v3 way: inline lifecycle_rule, versioning and
    server_side_encryption_configuration blocks on aws_s3_bucket itself."""
    p = Plan()
    vpc(p, "main", env="prod")
    log_group(p, "flow", "/vpc/main/flow-logs", 14)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    inline = {
        "bucket": "acme-legacy-flow-logs", "force_destroy": False, "tags": {},
        "lifecycle_rule": [{
            "id": "flow-logs", "enabled": True, "prefix": "AWSLogs/", "tags": {},
            "abort_incomplete_multipart_upload_days": 0,
            "expiration": [{"days": 180, "date": "", "expired_object_delete_marker": False}],
            "transition": [{"days": 30, "date": "", "storage_class": "GLACIER"}],
            "noncurrent_version_expiration": [{"days": 30}],
            "noncurrent_version_transition": [],
        }],
        "versioning": [{"enabled": True, "mfa_delete": False}],
        "server_side_encryption_configuration": [{"rule": [{
            "apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms", "kms_master_key_id": ""}],
            "bucket_key_enabled": True}]}],
    }
    p.resource("aws_s3_bucket", "legacy", inline, constants={"bucket": "acme-legacy-flow-logs"},
               blocks={"lifecycle_rule": [{"enabled": {"constant_value": True}, "prefix": {"constant_value": "AWSLogs/"}}],
                       "versioning": [{"enabled": {"constant_value": True}}],
                       "server_side_encryption_configuration": [{}]})
    flow_log(p, "s3", {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::acme-legacy-flow-logs"},
             {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]})
    p.write("legacy-inline-bucket.json")


def dynamic_blocks():
    """A lifecycle configuration whose rules come from a `dynamic "rule"` block over a value
    known only after apply, and a flow log whose destination_options block is dynamic too:
    the configuration JSON does not show dynamic blocks, and `after_unknown` marks them."""
    p = Plan()
    vpc(p, "main", env="prod")
    log_group(p, "flow", "/vpc/main/flow-logs", 14)
    flow_log(p, "cloudwatch", {}, {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
                                   "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    compliant_bucket(p, "flow", "acme-dynamic-flow-logs")
    # Replace the lifecycle configuration with one whose rules are dynamic.
    p.changes = [c for c in p.changes if c["type"] != "aws_s3_bucket_lifecycle_configuration"]
    for r in p.root["resources"]:
        if r["type"] == "aws_s3_bucket_lifecycle_configuration":
            r["expressions"].pop("rule", None)
    p.resource("aws_s3_bucket_lifecycle_configuration", "flow", {"expected_bucket_owner": None},
               refs={"bucket": ["aws_s3_bucket.flow.id", "aws_s3_bucket.flow"]}, constants={}, unknown=["rule"])
    flow_log(p, "s3", {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::acme-dynamic-flow-logs"},
             {"vpc_id": ["aws_vpc.main.id", "aws_vpc.main"]}, unknown=["destination_options"])
    p.write("dynamic-blocks.json")


def deletes_flow_log():
    """An applied estate (ids known) where the plan deletes the flow log and shortens the
    log group's retention from 30 to 7 days."""
    p = Plan()
    vpc_state = {"id": "vpc-0a1b2c3d4e5f60718", "cidr_block": "10.0.0.0/16", "tags": TAGS("staging"),
                 "tags_all": TAGS("staging"), "owner_id": "111122223333", "arn": "arn:aws:ec2:eu-west-1:111122223333:vpc/vpc-0a1b2c3d4e5f60718"}
    p.resource("aws_vpc", "main", vpc_state, actions=("no-op",), before=vpc_state, constants={"cidr_block": "10.0.0.0/16"})
    group_before = {"id": "/vpc/main/flow-logs", "name": "/vpc/main/flow-logs", "retention_in_days": 30, "kms_key_id": "",
                    "log_group_class": "STANDARD", "arn": "arn:aws:logs:eu-west-1:111122223333:log-group:/vpc/main/flow-logs",
                    "skip_destroy": False, "tags": {}, "tags_all": {}, "name_prefix": ""}
    group_after = dict(group_before, retention_in_days=7)
    p.resource("aws_cloudwatch_log_group", "flow", group_after, actions=("update",), before=group_before,
               constants={"name": "/vpc/main/flow-logs", "retention_in_days": 7})
    fl_before = {"id": "fl-0123456789abcdef0", "vpc_id": "vpc-0a1b2c3d4e5f60718", "traffic_type": "ALL",
                 "log_destination_type": "cloud-watch-logs",
                 "log_destination": "arn:aws:logs:eu-west-1:111122223333:log-group:/vpc/main/flow-logs",
                 "max_aggregation_interval": 600}
    p.resource("aws_flow_log", "main", {}, actions=("delete",), before=fl_before, constants={})
    p.write("deletes-flow-log.json")


def log_archive_estate():
    """Two workload accounts whose flow logs deliver to the log-archive account's central
    bucket, whose lifecycle is compliant for every account's subtree."""
    archive, region = "999988887777", "eu-west-1"

    def workload(account, n):
        vpc_id, subnet, eni = f"vpc-0{n}00000000000000a", f"subnet-0{n}00000000000000a", f"eni-0{n}00000000000000a"
        return {"account_id": account, "regions": [{
            "region": region,
            "vpcs": [{"VpcId": vpc_id, "CidrBlock": "10.0.0.0/16", "OwnerId": account, "IsDefault": False,
                      "State": "available", "Tags": [{"Key": "Environment", "Value": "prod"}]}],
            "subnets": [{"SubnetId": subnet, "VpcId": vpc_id, "AvailabilityZone": "eu-west-1a",
                         "CidrBlock": "10.0.1.0/24", "OwnerId": account, "Tags": []}],
            "network_interfaces": [{"NetworkInterfaceId": eni, "SubnetId": subnet, "VpcId": vpc_id,
                                    "InterfaceType": "interface", "RequesterManaged": False, "Status": "in-use",
                                    "OwnerId": account}],
            "flow_logs": [{"FlowLogId": f"fl-0{n}00000000000000a", "ResourceId": vpc_id, "TrafficType": "ALL",
                           "LogDestinationType": "s3", "LogDestination": "arn:aws:s3:::acme-central-flow-logs",
                           "FlowLogStatus": "ACTIVE", "DeliverLogsStatus": "SUCCESS", "MaxAggregationInterval": 600,
                           "Tags": []}],
            "log_groups": [], "delivery_streams": [], "transit_gateways": [],
        }]}

    with open(os.path.join(OUT, "existing-estate.json")) as f:
        central = json.load(f)["buckets"][0]
    snapshot = {
        "schema_version": 1,
        "tool": {"name": "flowaudit", "version": "0.1.0"},
        "collected_at": "2026-11-20T03:00:00Z",
        "scope": {"accounts": ["111122223333", "444455556666"], "regions": [region]},
        "accounts": [workload("111122223333", 1), workload("444455556666", 4)],
        "buckets": [dict(central, OwnerAccountId=archive)],
        "collection_errors": [],
    }
    with open(os.path.join(OUT, "log-archive-estate.json"), "w") as f:
        json.dump(snapshot, f, indent=2)
        f.write("\n")


def deletes_central_lifecycle():
    """In the log-archive account, the plan deletes the central bucket's lifecycle
    configuration, on which both workload accounts' subtrees rest."""
    p = Plan(account="999988887777")
    bucket = {"id": "acme-central-flow-logs", "bucket": "acme-central-flow-logs", "force_destroy": False,
              "tags": {}, "arn": "arn:aws:s3:::acme-central-flow-logs"}
    p.resource("aws_s3_bucket", "central", bucket, actions=("no-op",), before=bucket, constants={"bucket": "acme-central-flow-logs"})
    lifecycle = {"id": "acme-central-flow-logs", "bucket": "acme-central-flow-logs", "rule": [{
        "id": "flow-logs", "status": "Enabled", "filter": [{"prefix": "AWSLogs/"}],
        "expiration": [{"days": 180}], "transition": [{"days": 30, "storage_class": "GLACIER"}],
        "noncurrent_version_expiration": [{"noncurrent_days": 30}]}]}
    p.resource("aws_s3_bucket_lifecycle_configuration", "central", {}, actions=("delete",), before=lifecycle,
               refs={"bucket": ["aws_s3_bucket.central.id", "aws_s3_bucket.central"]}, constants={})
    p.write("deletes-central-lifecycle.json")


def prod_us_log_group(retention, tags, name):
    """An update of the demo estate's /vpc/prod-us group (3 days, under the production
    minimum of 14)."""
    p = Plan(region="us-east-1", account="111122223333")
    before = {"id": "/vpc/prod-us", "name": "/vpc/prod-us", "retention_in_days": 3, "kms_key_id": "",
              "log_group_class": "STANDARD", "arn": "arn:aws:logs:us-east-1:111122223333:log-group:/vpc/prod-us",
              "skip_destroy": False, "tags": {}, "tags_all": {}, "name_prefix": ""}
    after = dict(before, retention_in_days=retention, tags=tags, tags_all=tags)
    p.resource("aws_cloudwatch_log_group", "prod_us", after, actions=("update",), before=before,
               constants={"name": "/vpc/prod-us", "retention_in_days": retention})
    p.write(name)


def aws_ia_vpc():
    """aws-ia/vpc (v4): the flow log sits in module.flow_logs[0], and its destination is
    `local.log_destination = module.cloudwatch_log_group[0].log_group.arn`, a log group of
    the child module module.flow_logs[0].module.cloudwatch_log_group[0], kept 7 days."""
    p = Plan(account="111122223333")
    definition = {"log_destination_type": "cloud-watch-logs", "retention_in_days": 7, "traffic_type": "ALL",
                  "kms_key_id": None, "log_destination": None}
    p.module(["flow_logs"], source="./modules/flow_logs", expressions={
        "name": {"constant_value": "shop"},
        "vpc_id": {"references": ["local.vpc.id", "local.vpc"]},
        "flow_log_definition": {"constant_value": definition},
    })
    p.module(["flow_logs", "cloudwatch_log_group"], source="./modules/cloudwatch-logs", expressions={
        "name": {"references": ["var.name"]},
        "retention_in_days": {"references": ["var.flow_log_definition.retention_in_days", "var.flow_log_definition"]},
        "kms_key_id": {"references": ["var.flow_log_definition.kms_key_id", "var.flow_log_definition"]},
    })
    p.output(["flow_logs", "cloudwatch_log_group"], "log_group", ["aws_cloudwatch_log_group.flow_logs"])
    p.output(["flow_logs", "cloudwatch_log_group"], "iam_role", ["aws_iam_role.vpc_flowlogs_role"])
    p.resource("aws_vpc", "main", {"cidr_block": "10.40.0.0/16", "enable_dns_support": True, "tags": TAGS("prod")},
               index=0, count=True, constants={"cidr_block": "10.40.0.0/16"})
    for i, az in enumerate(["a", "b"]):
        p.resource("aws_subnet", "private", {"cidr_block": f"10.40.{i}.0/24", "availability_zone": f"eu-west-1{az}", "tags": {}},
                   index=f"private/eu-west-1{az}", for_each=True, constants={}, refs={"vpc_id": ["local.vpc.id", "local.vpc"]})
    flow_log(p, "main", {"log_destination_type": "cloud-watch-logs", "traffic_type": "ALL"},
             {"vpc_id": ["var.vpc_id"], "log_destination": ["local.log_destination"],
              "iam_role_arn": ["local.create_flow_log_destination", "module.cloudwatch_log_group[0].iam_role.arn",
                               "module.cloudwatch_log_group[0].iam_role", "module.cloudwatch_log_group"]},
             module=("flow_logs",), module_instance="module.flow_logs[0]",
             blocks={"log_destination_type": {"references": ["var.flow_log_definition.log_destination_type", "var.flow_log_definition"]},
                     "traffic_type": {"references": ["var.flow_log_definition.traffic_type", "var.flow_log_definition"]}})
    p.resource("aws_cloudwatch_log_group", "flow_logs", {
        "name": "/aws/vpc-flow-logs/shop", "name_prefix": None, "retention_in_days": 7, "kms_key_id": None,
        "skip_destroy": False, "tags": {}}, module=("flow_logs", "cloudwatch_log_group"),
        module_instance="module.flow_logs[0].module.cloudwatch_log_group[0]", constants={},
        refs={}, blocks={"name": {"references": ["var.name"]},
                         "retention_in_days": {"references": ["var.retention_in_days"]},
                         "kms_key_id": {"references": ["var.kms_key_id"]}})
    p.resource("aws_iam_role", "vpc_flowlogs_role", {"name": "shop-vpc-flow-logs"},
               module=("flow_logs", "cloudwatch_log_group"),
               module_instance="module.flow_logs[0].module.cloudwatch_log_group[0]")
    p.write("aws-ia-vpc-flow-logs.json")


def flow_logs_to_named_buckets():
    """Three VPCs logging to S3: one to a team's own bucket, one to the central archive by
    a literal ARN, one to a bucket a data source names (unknown until apply)."""
    p = Plan(account="111122223333")
    for name in ["team", "central", "looked_up"]:
        vpc(p, name)
    p.resource("aws_s3_bucket", "team", {"bucket": "team-flow-logs", "force_destroy": False, "tags": {}})
    flow_log(p, "team", {"log_destination_type": "s3"}, {
        "vpc_id": ["aws_vpc.team.id", "aws_vpc.team"],
        "log_destination": ["aws_s3_bucket.team.arn", "aws_s3_bucket.team"]})
    flow_log(p, "central", {"log_destination_type": "s3", "log_destination": "arn:aws:s3:::org-flow-logs"},
             {"vpc_id": ["aws_vpc.central.id", "aws_vpc.central"]})
    flow_log(p, "looked_up", {"log_destination_type": "s3"}, {
        "vpc_id": ["aws_vpc.looked_up.id", "aws_vpc.looked_up"],
        "log_destination": ["data.aws_s3_bucket.archive.arn", "data.aws_s3_bucket.archive"]})
    p.write("flow-logs-to-named-buckets.json")


def new_internet_gateway():
    """A VPC that gains an internet gateway and has no flow log, beside one that stays
    isolated."""
    p = Plan(account="111122223333")
    vpc(p, "public")
    vpc(p, "isolated")
    p.resource("aws_internet_gateway", "public", {"tags": {}},
               refs={"vpc_id": ["aws_vpc.public.id", "aws_vpc.public"]}, unknown=["id", "arn", "owner_id"])
    p.write("new-internet-gateway.json")


TERRAFORM = os.path.join(os.path.dirname(__file__), "..", "fixtures", "terraform")


def terraform_tree_plan():
    """The plan of fixtures/terraform: a VPC logged REJECT-only to a 7-day group in the root,
    an unlogged VPC in the local module ./modules/network, and another in the registry
    module terraform-aws-modules/vpc that `terraform init` put in .terraform/modules/vpc."""
    p = Plan(account="111122223333")
    p.module(["network"], source="./modules/network")
    p.module(["vpc"], source="terraform-aws-modules/vpc/aws")
    p.module(["edge"], source="git::https://git.example.com/edge.git")
    vpc(p)
    log_group(p, "flow", "/vpc/main/flow-logs", 7)
    flow_log(p, "main", {"traffic_type": "REJECT"}, {
        "vpc_id": ["aws_vpc.main.id", "aws_vpc.main"],
        "log_destination": ["aws_cloudwatch_log_group.flow.arn", "aws_cloudwatch_log_group.flow"]})
    vpc(p, "this", module=("network",))
    vpc(p, "this", module=("vpc",), index=0, count=True, module_instance="module.vpc")
    vpc(p, "edge", module=("edge",))
    p.write("plan.json", out=TERRAFORM)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    existing_estate()
    root_compliant()
    tf_modules_vpc(True)
    tf_modules_vpc(False)
    nested_modules()
    count_and_for_each()
    unknown_ids()
    module_for_each()
    central_bucket()
    lifecycle_prefix_miss()
    retention_zero()
    deletes_flow_log()
    dynamic_blocks()
    legacy_inline_bucket()
    log_archive_estate()
    deletes_central_lifecycle()
    prod_us_log_group(3, {"Owner": "network"}, "updates-log-group-tags.json")
    prod_us_log_group(14, {}, "fixes-log-group-retention.json")
    aws_ia_vpc()
    terraform_tree_plan()
    flow_logs_to_named_buckets()
    new_internet_gateway()
    legacy_twin("root-compliant.json", "0.1", "0.12.31")
    legacy_twin("nested-modules.json", "0.1", "0.13.7")
    legacy_twin("count-and-for-each.json", "0.1", "0.12.31")
    legacy_twin("terraform-aws-modules-vpc-flow-log-on.json", "0.2", "1.0.11")
    legacy_twin("deletes-flow-log.json", "0.2", "1.0.11")
    utf16_twin("root-compliant.json")
