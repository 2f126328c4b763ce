//! Keeping one account and region's calls to an API under the rate AWS allows.
//!
//! Limits are per account and region: EC2's `Describe*` calls share a bucket that refills
//! 20 a second, and CloudWatch Logs allows 5 `DescribeLogGroups` a second. Within one
//! (account, region) flowaudit makes its calls to an API one after another, so spacing
//! them is enough to stay under the refill rate; a large organisation is then slowed down
//! by its page count, not failed by throttling. Retries still handle what other tools
//! sharing the quota cause.

use std::time::Duration;

use tokio::time::Instant;

/// EC2 `Describe*` refill rate per account and region.
pub const EC2_DESCRIBE_PER_SECOND: u32 = 20;
/// CloudWatch Logs `DescribeLogGroups` rate per account and region.
pub const DESCRIBE_LOG_GROUPS_PER_SECOND: u32 = 5;

/// Spaces successive calls at least `1 / per_second` apart.
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    pub fn per_second(calls: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs(1) / calls.max(1),
            next: None,
        }
    }

    /// Waits until the next call may be made, and books the one after it.
    pub async fn wait(&mut self) {
        if let Some(next) = self.next {
            tokio::time::sleep_until(next).await;
        }
        self.next = Some(Instant::now() + self.interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_rate() {
        let mut pace = Pacer::per_second(DESCRIBE_LOG_GROUPS_PER_SECOND);
        let start = Instant::now();
        for _ in 0..6 {
            pace.wait().await;
        }
        // Six calls at 5 a second: the sixth waits a second after the first.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
