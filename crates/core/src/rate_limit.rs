//! Keyed rate limits (per client address, per session, per buyer) whose memory stays bounded.
//!
//! governor's keyed limiters keep one entry per key they have ever seen until someone calls
//! `retain_recent`: a guesser who sends every request with a new session cookie or from a new
//! IPv6 address would grow the map without end. [`KeyedLimit`] prunes the keys whose budget is
//! whole again every [`PRUNE_EVERY`] checks, so the map holds at most the keys seen within one
//! replenish period plus one pruning interval.

use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Checks between two prunings of the keys whose budget has refilled.
pub const PRUNE_EVERY: u64 = 4096;

/// A budget of `per_minute` units per key and minute (a burst of the same size).
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: DefaultKeyedRateLimiter<K>,
    checks: AtomicU64,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    pub fn per_minute(per_minute: u32) -> Arc<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN));
        Arc::new(Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        })
    }

    /// A budget of `per_hour` units per key and hour (a burst of the same size): for what is
    /// asked for rarely, such as sign-in links to one address.
    pub fn per_hour(per_hour: u32) -> Arc<Self> {
        let quota = Quota::per_hour(NonZeroU32::new(per_hour).unwrap_or(NonZeroU32::MIN));
        Arc::new(Self {
            limiter: RateLimiter::keyed(quota),
            checks: AtomicU64::new(0),
        })
    }

    /// Spends `n` units of `key`'s budget; false (and nothing spent) when fewer are left.
    pub fn spend(&self, key: &K, n: NonZeroU32) -> bool {
        self.prune_now_and_then();
        matches!(self.limiter.check_key_n(key, n), Ok(Ok(())))
    }

    /// Spends one unit of `key`'s budget; on refusal, how long until one is back.
    pub fn spend_one(&self, key: &K) -> Result<(), std::time::Duration> {
        self.prune_now_and_then();
        self.limiter.check_key(key).map_err(|not_until| {
            not_until.wait_time_from(governor::clock::Clock::now(
                &governor::clock::DefaultClock::default(),
            ))
        })
    }

    /// How many keys the limiter holds now.
    pub fn keys(&self) -> usize {
        self.limiter.len()
    }

    fn prune_now_and_then(&self) {
        let checks = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if checks.is_multiple_of(PRUNE_EVERY) {
            self.limiter.retain_recent();
            self.limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_whose_budget_refilled_are_pruned_so_fresh_keys_do_not_grow_memory_without_end() {
        // A budget that refills within a millisecond: every earlier key is whole again by the
        // time the next pruning comes round.
        let limit: Arc<KeyedLimit<u64>> = Arc::new(KeyedLimit {
            limiter: RateLimiter::keyed(
                Quota::with_period(std::time::Duration::from_micros(1))
                    .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)),
            ),
            checks: AtomicU64::new(0),
        });
        for key in 0..(PRUNE_EVERY * 10) {
            assert!(limit.spend(&key, NonZeroU32::MIN));
            if key % 1000 == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        assert!(
            (limit.keys() as u64) < PRUNE_EVERY * 2,
            "{} keys held after {} distinct keys",
            limit.keys(),
            PRUNE_EVERY * 10
        );
    }

    #[test]
    fn a_key_that_spent_its_budget_is_refused_and_others_are_not() {
        let limit = KeyedLimit::per_minute(2);
        let two = NonZeroU32::new(2).unwrap_or(NonZeroU32::MIN);
        assert!(limit.spend(&"a", two));
        assert!(!limit.spend(&"a", NonZeroU32::MIN));
        assert!(limit.spend(&"b", NonZeroU32::MIN));
        assert!(limit.spend_one(&"a").is_err());
    }
}
