//! What each account holds in each region, and what a baseline scan must find wrong.
//!
//! Per (account, region): VPC `prod` (3 subnets x 5 ENIs) with a VPC-level flow log to
//! the log group `/flowaudit/vpc`; VPC `shared` (3 subnets x 5 ENIs) with a subnet-level
//! flow log on its first subnet to the account's bucket and an ENI-level flow log on
//! the first ENI of its second subnet to the log group. So 9 ENIs of `shared` are
//! uncovered (its second subnet's other 4 and its third subnet's 5) in every region.
//! 42 resources and 6 listings per (account, region): about the shape of the estate
//! issue 22 measured (11,224 requests for 100 accounts x 17 regions).
//! Every account owns one bucket, `flowaudit-bench-{account}`, in us-east-1, with a
//! 180-day expiration. Every tenth account (index 0 mod 10) keeps its log group forever;
//! every seventh from the third (index 3 mod 7) expires its bucket after 30 days.

pub const SUBNETS_PER_VPC: usize = 3;
pub const ENIS_PER_SUBNET: usize = 5;
pub const VPCS: [&str; 2] = ["prod", "shared"];
pub const LOG_GROUP: &str = "/flowaudit/vpc";
pub const MANAGEMENT: u64 = 100_000_000_000;

pub fn account_id(index: usize) -> String {
    format!("{:012}", MANAGEMENT + index as u64)
}

pub fn account_index(account_id: &str) -> Option<usize> {
    let n: u64 = account_id.parse().ok()?;
    n.checked_sub(MANAGEMENT).map(|i| i as usize)
}

pub fn bucket(account_id: &str) -> String {
    format!("flowaudit-bench-{account_id}")
}

pub fn keeps_log_group_forever(index: usize) -> bool {
    index.is_multiple_of(10)
}

pub fn expires_bucket_early(index: usize) -> bool {
    index % 7 == 3
}

/// A short id unique within the account and region, in EC2's hexadecimal style.
pub fn id(prefix: &str, vpc: usize, subnet: usize, eni: usize) -> String {
    format!("{prefix}-0{vpc:x}{subnet:02x}{eni:02x}0000000000")
}
pub fn vpc_id(v: usize) -> String {
    id("vpc", v, 0xff, 0xff)
}
pub fn subnet_id(v: usize, s: usize) -> String {
    id("subnet", v, s, 0xff)
}
pub fn eni_id(v: usize, s: usize, e: usize) -> String {
    id("eni", v, s, e)
}
