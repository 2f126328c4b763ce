//! Answers in the shapes moto 5.1 returns them.

use super::estate::{self, *};
use std::fmt::Write as _;

const EC2_NS: &str = "http://ec2.amazonaws.com/doc/2016-11-15/";
const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

fn ec2(action: &str, set: &str, items: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{action}Response xmlns=\"{EC2_NS}\"><requestId>fake</requestId><{set}>{items}</{set}></{action}Response>"
    )
}

pub fn empty_ec2(action: &str, set: &str) -> String {
    ec2(action, set, "")
}

pub fn caller_identity(account: &str) -> String {
    format!(
        "<GetCallerIdentityResponse xmlns=\"{STS_NS}\"><GetCallerIdentityResult><Arn>arn:aws:sts::{account}:assumed-role/flowaudit/flowaudit</Arn><UserId>AROAFAKE:flowaudit</UserId><Account>{account}</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
    )
}

pub fn assume_role(account: &str, session: &str) -> String {
    let expires = chrono::Utc::now() + chrono::Duration::hours(1);
    let expires = expires.format("%Y-%m-%dT%H:%M:%SZ");
    format!(
        "<AssumeRoleResponse xmlns=\"{STS_NS}\"><AssumeRoleResult><Credentials><AccessKeyId>ASIA{account}</AccessKeyId><SecretAccessKey>fake</SecretAccessKey><SessionToken>fake-{account}</SessionToken><Expiration>{expires}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:{session}</AssumedRoleId><Arn>arn:aws:sts::{account}:assumed-role/flowaudit/{session}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>"
    )
}

/// ListAccounts pages of 20, as Organizations' maximum.
pub fn list_accounts(accounts: usize, from: usize) -> String {
    let to = (from + 20).min(accounts);
    let items: Vec<serde_json::Value> = (from..to)
        .map(|i| {
            let id = account_id(i);
            serde_json::json!({
                "Id": id,
                "Arn": format!("arn:aws:organizations::{}:account/o-fake/{id}", account_id(0)),
                "Email": format!("{id}@example.com"),
                "Name": format!("bench-{i}"),
                "Status": "ACTIVE",
                "State": "ACTIVE",
                "JoinedMethod": "CREATED",
                "JoinedTimestamp": 1_767_225_600.0,
            })
        })
        .collect();
    let mut page = serde_json::json!({ "Accounts": items });
    if to < accounts {
        page["NextToken"] = serde_json::Value::String(to.to_string());
    }
    page.to_string()
}

pub fn vpcs(account: &str) -> String {
    let mut items = String::new();
    for (v, name) in VPCS.iter().enumerate() {
        let _ = write!(
            items,
            "<item><vpcId>{}</vpcId><state>available</state><cidrBlock>10.{v}.0.0/16</cidrBlock><ownerId>{account}</ownerId><instanceTenancy>default</instanceTenancy><isDefault>false</isDefault><tagSet><item><key>Name</key><value>{name}</value></item></tagSet></item>",
            vpc_id(v)
        );
    }
    ec2("DescribeVpcs", "vpcSet", &items)
}

pub fn subnets(account: &str, region: &str) -> String {
    let mut items = String::new();
    for v in 0..VPCS.len() {
        for s in 0..SUBNETS_PER_VPC {
            let _ = write!(
                items,
                "<item><subnetId>{}</subnetId><state>available</state><vpcId>{}</vpcId><cidrBlock>10.{v}.{s}.0/24</cidrBlock><availabilityZone>{region}a</availabilityZone><ownerId>{account}</ownerId><subnetArn>arn:aws:ec2:{region}:{account}:subnet/{}</subnetArn></item>",
                subnet_id(v, s),
                vpc_id(v),
                subnet_id(v, s)
            );
        }
    }
    ec2("DescribeSubnets", "subnetSet", &items)
}

pub fn network_interfaces(account: &str, region: &str) -> String {
    let mut items = String::new();
    for v in 0..VPCS.len() {
        for s in 0..SUBNETS_PER_VPC {
            for e in 0..ENIS_PER_SUBNET {
                let _ = write!(
                    items,
                    "<item><networkInterfaceId>{}</networkInterfaceId><subnetId>{}</subnetId><vpcId>{}</vpcId><availabilityZone>{region}a</availabilityZone><description>bench</description><ownerId>{account}</ownerId><requesterManaged>false</requesterManaged><status>in-use</status><interfaceType>interface</interfaceType><privateIpAddress>10.{v}.{s}.{}</privateIpAddress><attachment><attachmentId>eni-attach-fake</attachmentId><instanceId>i-0{v}{s}{e}</instanceId><instanceOwnerId>{account}</instanceOwnerId><deviceIndex>0</deviceIndex><status>attached</status></attachment><sourceDestCheck>true</sourceDestCheck></item>",
                    eni_id(v, s, e),
                    subnet_id(v, s),
                    vpc_id(v),
                    e + 10
                );
            }
        }
    }
    ec2("DescribeNetworkInterfaces", "networkInterfaceSet", &items)
}

fn flow_log(
    id: &str,
    resource: &str,
    destination: &str,
    destination_type: &str,
    group: Option<&str>,
) -> String {
    let group = group
        .map(|g| format!("<logGroupName>{g}</logGroupName><deliverLogsPermissionArn>arn:aws:iam::000000000000:role/flow-logs</deliverLogsPermissionArn>"))
        .unwrap_or_default();
    format!(
        "<item><creationTime>2026-01-05T00:00:00.000Z</creationTime><deliverLogsStatus>SUCCESS</deliverLogsStatus><flowLogId>{id}</flowLogId><flowLogStatus>ACTIVE</flowLogStatus>{group}<resourceId>{resource}</resourceId><trafficType>ALL</trafficType><logDestinationType>{destination_type}</logDestinationType><logDestination>{destination}</logDestination><logFormat>${{version}} ${{account-id}} ${{interface-id}} ${{srcaddr}} ${{dstaddr}} ${{srcport}} ${{dstport}} ${{protocol}} ${{packets}} ${{bytes}} ${{start}} ${{end}} ${{action}} ${{log-status}}</logFormat><maxAggregationInterval>600</maxAggregationInterval></item>"
    )
}

pub fn flow_logs(account: &str, region: &str) -> String {
    let group_arn = format!("arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}");
    let bucket_arn = format!("arn:aws:s3:::{}", estate::bucket(account));
    let items = [
        flow_log(
            &id("fl", 0, 0xff, 0xff),
            &vpc_id(0),
            &group_arn,
            "cloud-watch-logs",
            Some(LOG_GROUP),
        ),
        flow_log(
            &id("fl", 1, 0, 0xff),
            &subnet_id(1, 0),
            &bucket_arn,
            "s3",
            None,
        ),
        flow_log(
            &id("fl", 1, 1, 0),
            &eni_id(1, 1, 0),
            &group_arn,
            "cloud-watch-logs",
            Some(LOG_GROUP),
        ),
    ]
    .concat();
    ec2("DescribeFlowLogs", "flowLogSet", &items)
}

pub fn log_groups(account: &str, region: &str) -> String {
    let index = account_index(account).unwrap_or(0);
    let mut group = serde_json::json!({
        "logGroupName": LOG_GROUP,
        "creationTime": 1_767_225_600_000_u64,
        "metricFilterCount": 0,
        "arn": format!("arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}:*"),
        "logGroupArn": format!("arn:aws:logs:{region}:{account}:log-group:{LOG_GROUP}"),
        "storedBytes": 0,
        "logGroupClass": "STANDARD",
    });
    if !keeps_log_group_forever(index) {
        group["retentionInDays"] = serde_json::json!(14);
    }
    serde_json::json!({ "logGroups": [group] }).to_string()
}

pub fn list_buckets(account: &str) -> String {
    format!(
        "<ListAllMyBucketsResult xmlns=\"{S3_NS}\"><Owner><ID>fake</ID><DisplayName>fake</DisplayName></Owner><Buckets><Bucket><Name>{}</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>",
        estate::bucket(account)
    )
}

pub fn s3_doc(root: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{S3_NS}\">{inner}</{root}>"
    )
}

pub fn lifecycle(path: &str) -> String {
    let bucket = path
        .trim_start_matches('/')
        .split(['/', '?'])
        .next()
        .unwrap_or("");
    let account = bucket.rsplit('-').next().unwrap_or("");
    let days = match account_index(account) {
        Some(i) if expires_bucket_early(i) => 30,
        _ => 180,
    };
    s3_doc(
        "LifecycleConfiguration",
        &format!(
            "<Rule><ID>flow-logs</ID><Filter><Prefix>AWSLogs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>{days}</Days></Expiration></Rule>"
        ),
    )
}
