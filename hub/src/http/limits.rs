//! Token buckets: per station (after authentication), per client address (before anything
//! else) and per address for enrolments. Their memory is bounded: a bucket that has refilled is
//! forgotten (it is the same as a new one), and when every remembered client is still active the
//! least recently seen are forgotten, never all at once.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many clients one limiter remembers at most (about 100 bytes each).
pub const MAX_TRACKED: usize = 100_000;

/// How often the same client's refusals are logged at most.
const LOG_EVERY: Duration = Duration::from_secs(60);

/// A refusal: how long to wait, and whether to log it (the first refusal of this client in a
/// minute; a flood makes one log line a minute, not one per request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    /// Seconds until a token is back (`Retry-After`).
    pub retry_after: u64,
    /// Whether this refusal deserves a log line.
    pub log: bool,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    last: Instant,
    logged: Option<Instant>,
}

/// A token bucket per client of type `K`: `rate` requests per second on average, bursts of
/// `burst`, at most `capacity` clients remembered.
#[derive(Debug)]
pub struct RateLimiter<K = String> {
    rate: f64,
    burst: f64,
    capacity: usize,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> RateLimiter<K> {
    /// A limiter allowing `rate` requests per second per client, `burst` at once.
    pub fn new(rate: f64, burst: u32) -> Self {
        Self::with_capacity(rate, burst, MAX_TRACKED)
    }

    /// [`RateLimiter::new`] remembering at most `capacity` clients (at least 8).
    pub fn with_capacity(rate: f64, burst: u32, capacity: usize) -> Self {
        Self {
            // NaN becomes the floor; infinity a finite ceiling (0 × ∞ would be NaN).
            rate: if rate.is_nan() {
                0.001
            } else {
                rate.clamp(0.001, 1e12)
            },
            burst: f64::from(burst.max(1)),
            capacity: capacity.max(8),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// How many clients are remembered now.
    pub fn tracked(&self) -> usize {
        self.buckets
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    fn level(&self, bucket: &Bucket, now: Instant) -> f64 {
        (bucket.tokens + now.duration_since(bucket.last).as_secs_f64() * self.rate).min(self.burst)
    }

    /// Takes a token for `who`.
    pub fn take<Q>(&self, who: &Q) -> Result<(), Refused>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ToOwned<Owned = K> + ?Sized,
    {
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(PoisonError::into_inner);
        if !buckets.contains_key(who) {
            self.make_room(&mut buckets, now);
            buckets.insert(
                who.to_owned(),
                Bucket {
                    tokens: self.burst,
                    last: now,
                    logged: None,
                },
            );
        }
        let Some(bucket) = buckets.get_mut(who) else {
            return Ok(());
        };
        let level = self.level(bucket, now);
        bucket.last = now;
        if level >= 1.0 {
            bucket.tokens = level - 1.0;
            return Ok(());
        }
        bucket.tokens = level;
        let log = bucket
            .logged
            .is_none_or(|at| now.duration_since(at) >= LOG_EVERY);
        if log {
            bucket.logged = Some(now);
        }
        Err(Refused {
            retry_after: ((1.0 - level) / self.rate).ceil().clamp(1.0, 86_400.0) as u64,
            log,
        })
    }

    /// Makes room for one more client when the limiter is full: first forget the buckets that
    /// have refilled (nothing is lost), then, if still more than seven eighths full, the least
    /// recently seen clients down to seven eighths, so the next inserts are cheap again.
    fn make_room(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        if buckets.len() < self.capacity {
            return;
        }
        buckets.retain(|_, b| self.level(b, now) < self.burst);
        let target = self.capacity - (self.capacity / 8).max(1);
        if buckets.len() <= target {
            return;
        }
        let excess = buckets.len() - target;
        let mut seen: Vec<Instant> = buckets.values().map(|b| b.last).collect();
        let (_, cutoff, _) = seen.select_nth_unstable(excess - 1);
        let cutoff = *cutoff;
        buckets.retain(|_, b| b.last > cutoff);
    }
}

/// Whom a per-address limit counts: an IPv4 address, or an IPv6 address's /64 (one host is
/// usually given a whole /64, so counting single IPv6 addresses would count nothing). An
/// IPv4-mapped IPv6 address counts as its IPv4 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(IpAddr);

impl ClientAddress {
    /// For requests whose peer is not known (a router served without connection info): they
    /// all share this one key.
    pub const UNKNOWN: Self = Self(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));

    /// The key for a peer address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self(IpAddr::V4(v4)),
                None => {
                    let s = v6.segments();
                    Self(IpAddr::V6(Ipv6Addr::new(
                        s[0], s[1], s[2], s[3], 0, 0, 0, 0,
                    )))
                }
            },
        }
    }
}

impl std::fmt::Display for ClientAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_refills_at_its_rate() {
        let limiter: RateLimiter = RateLimiter::new(1000.0, 3);
        for _ in 0..3 {
            assert_eq!(limiter.take("a"), Ok(()));
        }
        let refused = limiter.take("a").unwrap_err();
        assert_eq!(
            refused,
            Refused {
                retry_after: 1,
                log: true
            }
        );
        assert!(!limiter.take("a").unwrap_err().log, "logged once a minute");
        assert_eq!(
            limiter.take("b"),
            Ok(()),
            "another client has its own bucket"
        );
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(limiter.take("a"), Ok(()));
    }

    #[test]
    fn retry_after_is_the_wait_for_one_token() {
        let limiter: RateLimiter = RateLimiter::new(0.1, 1);
        assert_eq!(limiter.take("a"), Ok(()));
        assert_eq!(limiter.take("a").unwrap_err().retry_after, 10);
    }

    #[test]
    fn memory_is_bounded_and_busy_clients_are_kept() {
        // Slow refill: every bucket that took a token stays "busy".
        let limiter: RateLimiter<u32> = RateLimiter::with_capacity(0.001, 2, 64);
        // A client that exhausted its bucket...
        limiter.take(&0).unwrap();
        limiter.take(&0).unwrap();
        assert!(limiter.take(&0).is_err());
        // ...and is seen again while a flood of new clients comes through.
        for n in 1..10_000u32 {
            limiter.take(&n).unwrap();
            if n % 16 == 0 {
                assert!(limiter.take(&0).is_err(), "client 0 forgotten after {n}");
            }
            assert!(limiter.tracked() <= 64);
        }
    }

    #[test]
    fn refilled_buckets_are_forgotten_first() {
        let limiter: RateLimiter<u32> = RateLimiter::with_capacity(1e6, 1, 8);
        for n in 0..8 {
            limiter.take(&n).unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
        limiter.take(&100).unwrap();
        assert_eq!(limiter.tracked(), 1, "all eight had refilled");
    }

    #[test]
    fn ipv6_counts_by_64_and_mapped_ipv4_as_ipv4() {
        let a = ClientAddress::of("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = ClientAddress::of("2001:db8:1:2:bbbb::2".parse().unwrap());
        let c = ClientAddress::of("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.to_string(), "2001:db8:1:2::/64");
        assert_eq!(
            ClientAddress::of("::ffff:192.0.2.7".parse().unwrap()),
            ClientAddress::of("192.0.2.7".parse().unwrap())
        );
    }
}
