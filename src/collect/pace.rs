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
/// `AssumeRole` calls a run makes from the caller into its member accounts, a second: half
/// of STS's request quota (600 a second per account and region), which the caller's other
/// tools share. A thousand accounts are entered in under 4 s.
pub const ASSUME_ROLE_PER_SECOND: u32 = 300;

/// Spaces calls at least `1 / per_second` apart, whether one task makes them one after
/// another (a region's listings) or many tasks share one quota (`AssumeRole` from the caller
/// into every member account): each call books the next free slot and waits for it.
pub struct Pacer {
    interval: Duration,
    next: std::sync::Mutex<Option<Instant>>,
}

impl Pacer {
    pub fn per_second(calls: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs(1) / calls.max(1),
            next: std::sync::Mutex::new(None),
        }
    }

    /// Books the next free slot and waits for it.
    pub async fn wait(&self) {
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.filter(|n| *n > now).unwrap_or(now);
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_by_the_rate() {
        let pace = Pacer::per_second(DESCRIBE_LOG_GROUPS_PER_SECOND);
        let start = Instant::now();
        for _ in 0..6 {
            pace.wait().await;
        }
        // Six calls at 5 a second: the sixth waits a second after the first.
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn tasks_sharing_a_pacer_take_turns() {
        let pace = std::sync::Arc::new(Pacer::per_second(10));
        let start = Instant::now();
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..11 {
            let pace = pace.clone();
            tasks.spawn(async move {
                pace.wait().await;
                Instant::now()
            });
        }
        let mut at = Vec::new();
        while let Some(t) = tasks.join_next().await {
            at.push(t.unwrap() - start);
        }
        at.sort();
        // Eleven calls at 10 a second, whichever task asks first: 0, 100 ms, ... 1 s.
        let expected: Vec<Duration> = (0..11).map(|i| Duration::from_millis(100 * i)).collect();
        assert_eq!(at, expected);
    }
}
