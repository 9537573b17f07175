//! The limiter every request passes, right before each HTTP attempt (lookups
//! and retries included). Promises, as the server measures them by arrival:
//!
//! - no 1-second window holds more than `rate` requests: governor spaces
//!   requests evenly, without a burst, at a period 2% longer than `1/rate`, so
//!   `rate + 1` requests span 1.02 s and 20 ms of network jitter cannot squeeze
//!   them into one second;
//! - no hour holds more than `hourly_limit`: a sliding window of our own send
//!   times, since governor's quota would let a burst double the hour;
//! - `X-RateLimit-Remaining` is the truth about the hour: it tells the
//!   tenant's real limit, which caps the window, and when it falls to the
//!   reserve (1% of the hourly limit) the pace drops to that limit spread over
//!   the hour until it recovers;
//! - a 429 pauses the whole run until its `Retry-After` (or a growing probe
//!   delay without one); then a single probe goes first, and the others follow
//!   only once it was not refused. The total pause is bounded by `max_wait`.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Jitter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::exit::Stop;

/// How much longer than `1/rate` the spacing is (see the module doc).
const SPACING_MARGIN: f64 = 1.02;
/// Slack on the hour window: our send times and the server's arrival times differ.
const HOUR_MARGIN: Duration = Duration::from_secs(2);
/// Probe delays after a 429 that carried no `Retry-After`.
const PROBE_DELAYS: &[u64] = &[15, 30, 60, 120, 300];
/// A probe with no answer after this long no longer holds the others back.
const PROBE_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug)]
pub struct PaceConfig {
    pub rate: NonZeroU32,
    pub hourly_limit: NonZeroU32,
    pub max_wait: Duration,
}

pub struct Pace {
    second: DefaultDirectRateLimiter,
    jitter: Duration,
    hour: Duration,
    max_wait: Duration,
    configured_hourly: u64,
    reserve: u64,
    window: Mutex<Window>,
    /// The slower pace of the reserve, when in it.
    slow: Mutex<Option<Arc<DefaultDirectRateLimiter>>>,
    pause: Mutex<Pause>,
    resumed: Notify,
    /// Cancelled when the run stops: waiters give up with `Stop::Halted`.
    halt: CancellationToken,
    pub counters: Counters,
}

#[derive(Default)]
struct Window {
    sent: VecDeque<Instant>,
    /// What the tenant allows per hour, as far as we know.
    cap: u64,
}

#[derive(Default)]
struct Pause {
    until: Option<Instant>,
    episode_start: Option<Instant>,
    /// A probe is out since then.
    probing: Option<Instant>,
    probes: usize,
    total: Duration,
}

/// Counts for the summary.
#[derive(Default, Debug)]
pub struct Counters {
    pub requests: AtomicU64,
    pub rate_limited: AtomicU64,
    pub retries: AtomicU64,
}

/// Handed out with each permit: how many of our requests the hour window
/// held with this one, so that `X-RateLimit-Remaining` on its answer tells
/// the tenant's limit exactly.
#[derive(Clone, Copy, Debug)]
pub struct Ticket {
    in_window: u64,
}

impl Pace {
    pub fn new(config: PaceConfig) -> Pace {
        Pace::with_hour(config, Duration::from_secs(3600))
    }

    /// `hour` is shorter only for rehearsals against a sandbox with a short hour.
    pub fn with_hour(config: PaceConfig, hour: Duration) -> Pace {
        let period = Duration::from_secs_f64(SPACING_MARGIN / f64::from(config.rate.get()));
        let hourly = u64::from(config.hourly_limit.get());
        Pace {
            second: RateLimiter::direct(limiter_quota(period)),
            jitter: period / 10,
            hour,
            max_wait: config.max_wait,
            configured_hourly: hourly,
            reserve: (hourly / 100).max(1),
            window: Mutex::new(Window {
                sent: VecDeque::new(),
                cap: hourly,
            }),
            slow: Mutex::new(None),
            pause: Mutex::default(),
            resumed: Notify::new(),
            halt: CancellationToken::new(),
            counters: Counters::default(),
        }
    }

    /// Makes every current and future `acquire` fail with `Stop::Halted`.
    pub fn halt(&self) {
        self.halt.cancel();
    }

    /// Waits until one request may be sent now. Fails when the run halts, or
    /// when the total 429 pause would exceed `max_wait`.
    pub async fn acquire(&self) -> Result<Ticket, Stop> {
        tokio::select! {
            _ = self.halt.cancelled() => Err(Stop::Halted),
            ticket = self.acquire_inner() => ticket,
        }
    }

    async fn acquire_inner(&self) -> Result<Ticket, Stop> {
        loop {
            self.wait_out_pause().await?;
            let slow = self.slow.lock().expect("slow lock").clone();
            if let Some(slow) = slow {
                slow.until_ready().await;
            }
            self.second
                .until_ready_with_jitter(Jitter::up_to(self.jitter))
                .await;
            // A 429 may have arrived while we waited: go round again.
            if self
                .pause
                .lock()
                .expect("pause lock")
                .until
                .is_some_and(|u| Instant::now() < u)
            {
                continue;
            }
            match self.take_hour_slot() {
                Ok(ticket) => return Ok(ticket),
                Err(free_at) => {
                    tracing::debug!("hourly window full; waiting {:?}", free_at - Instant::now());
                    tokio::time::sleep_until(free_at.into()).await;
                }
            }
        }
    }

    /// Takes a place in the hour window now, or says when one frees up.
    fn take_hour_slot(&self) -> Result<Ticket, Instant> {
        let now = Instant::now();
        let mut w = self.window.lock().expect("window lock");
        while w
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.hour + HOUR_MARGIN)
        {
            w.sent.pop_front();
        }
        if (w.sent.len() as u64) < w.cap {
            w.sent.push_back(now);
            self.counters.requests.fetch_add(1, Ordering::Relaxed);
            return Ok(Ticket {
                in_window: w.sent.len() as u64,
            });
        }
        Err(*w.sent.front().expect("a full window is not empty") + self.hour + HOUR_MARGIN)
    }

    async fn wait_out_pause(&self) -> Result<(), Stop> {
        loop {
            let notified = self.resumed.notified();
            let wait = {
                let mut p = self.pause.lock().expect("pause lock");
                let Some(until) = p.until else { return Ok(()) };
                let now = Instant::now();
                if now < until {
                    Some(until - now)
                } else if p
                    .probing
                    .is_none_or(|since| since.elapsed() > PROBE_TIMEOUT)
                {
                    // The pause is over: this request goes alone, as a probe
                    // (another goes if that one was abandoned before its answer).
                    p.probing = Some(now);
                    return Ok(());
                } else {
                    None
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                // Wait for the probe's answer (re-checking now and then, in case it never comes).
                None => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                }
            }
        }
    }

    /// Reads an answer: `status` (None for no HTTP answer), the
    /// `X-RateLimit-Remaining` and `Retry-After` it carried.
    pub fn observe(
        &self,
        ticket: Ticket,
        status: Option<u16>,
        remaining: Option<u64>,
        retry_after: Option<Duration>,
    ) -> Result<(), Stop> {
        if status == Some(429) {
            return self.pause_for(retry_after);
        }
        self.resume();
        if let Some(remaining) = remaining {
            self.learn_remaining(ticket, remaining);
        }
        Ok(())
    }

    fn pause_for(&self, retry_after: Option<Duration>) -> Result<(), Stop> {
        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut p = self.pause.lock().expect("pause lock");
        let delay = retry_after.unwrap_or_else(|| {
            Duration::from_secs(PROBE_DELAYS[p.probes.min(PROBE_DELAYS.len() - 1)])
        });
        p.probes += 1;
        p.probing = None;
        let start = *p.episode_start.get_or_insert(now);
        let until = p.until.map_or(now + delay, |u| u.max(now + delay));
        if p.total + (until - start) > self.max_wait {
            return Err(Stop::MaxWait(
                humantime::format_duration(self.max_wait).to_string(),
            ));
        }
        p.until = Some(until);
        tracing::warn!(
            "rate limited (429): pausing every request for {:.0?}",
            until - now
        );
        Ok(())
    }

    fn resume(&self) {
        let mut p = self.pause.lock().expect("pause lock");
        if let Some(start) = p.episode_start.take() {
            p.total += start.elapsed();
            p.until = None;
            p.probing = None;
            p.probes = 0;
            drop(p);
            tracing::info!("rate limit lifted: resuming");
            self.resumed.notify_waiters();
        }
    }

    fn learn_remaining(&self, ticket: Ticket, remaining: u64) {
        let tenant_limit = ticket.in_window + remaining;
        let mut w = self.window.lock().expect("window lock");
        let mut slow = self.slow.lock().expect("slow lock");
        if remaining <= self.reserve {
            // Never send more than the tenant allows in any hour, spread evenly.
            let cap = tenant_limit.clamp(1, self.configured_hourly);
            if slow.is_none() || cap != w.cap {
                tracing::warn!(
                    "X-RateLimit-Remaining is {remaining}: slowing to {cap} requests per {:?}",
                    self.hour
                );
                let period = self.hour.div_f64(cap as f64).mul_f64(SPACING_MARGIN);
                *slow = Some(Arc::new(RateLimiter::direct(limiter_quota(period))));
            }
            w.cap = cap;
        } else if remaining > 2 * self.reserve && slow.is_some() {
            tracing::info!("X-RateLimit-Remaining is {remaining}: back to the full pace");
            *slow = None;
            w.cap = self.configured_hourly;
        }
    }

    /// When the current 429 pause ends, if paused.
    pub fn paused_until(&self) -> Option<Instant> {
        self.pause
            .lock()
            .expect("pause lock")
            .until
            .filter(|u| *u > Instant::now())
    }
}

fn limiter_quota(period: Duration) -> Quota {
    Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("a positive period")
        .allow_burst(NonZeroU32::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(rate: u32, hourly: u32) -> PaceConfig {
        PaceConfig {
            rate: NonZeroU32::new(rate).unwrap(),
            hourly_limit: NonZeroU32::new(hourly).unwrap(),
            max_wait: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn requests_are_spaced_so_that_no_second_holds_more_than_the_rate() {
        let pace = Pace::new(config(50, 100_000));
        let mut times = vec![];
        for _ in 0..60 {
            pace.acquire().await.unwrap();
            times.push(Instant::now());
        }
        for pair in times.windows(51) {
            assert!(
                pair[50] - pair[0] >= Duration::from_secs(1),
                "51 requests within a second"
            );
        }
    }

    #[tokio::test]
    async fn the_hour_window_holds_no_more_than_the_hourly_limit() {
        let pace = Pace::with_hour(config(1000, 5), Duration::from_millis(300));
        let start = Instant::now();
        let mut times = vec![];
        for _ in 0..7 {
            pace.acquire().await.unwrap();
            times.push(start.elapsed());
        }
        // The sixth had to wait for the first to leave the window (hour + margin).
        assert!(
            times[5] >= Duration::from_millis(300) + HOUR_MARGIN,
            "{times:?}"
        );
    }

    #[tokio::test]
    async fn a_low_remaining_caps_the_window_at_the_tenants_real_limit() {
        let pace = Pace::with_hour(config(1000, 1000), Duration::from_millis(200));
        let ticket = pace.acquire().await.unwrap();
        // The tenant says only 3 more: its limit is 4 an hour, whatever we were told.
        pace.observe(ticket, Some(200), Some(3), None).unwrap();
        assert_eq!(pace.window.lock().unwrap().cap, 4);
        assert!(pace.slow.lock().unwrap().is_some());
        let ticket = pace.acquire().await.unwrap();
        pace.observe(ticket, Some(200), Some(900), None).unwrap();
        assert_eq!(pace.window.lock().unwrap().cap, 1000);
        assert!(pace.slow.lock().unwrap().is_none());
    }

    #[tokio::test]
    async fn a_429_pauses_everyone_and_one_probe_goes_first() {
        let pace = Arc::new(Pace::new(config(1000, 100_000)));
        let ticket = pace.acquire().await.unwrap();
        pace.observe(ticket, Some(429), Some(0), Some(Duration::from_millis(200)))
            .unwrap();
        assert!(pace.paused_until().is_some());
        let start = Instant::now();
        let probe = pace.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(190));
        // While the probe is out, nobody else goes.
        let other = tokio::spawn({
            let pace = pace.clone();
            async move { pace.acquire().await.map(|_| Instant::now()) }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!other.is_finished());
        let answered = Instant::now();
        pace.observe(probe, Some(201), None, None).unwrap();
        assert!(other.await.unwrap().unwrap() >= answered);
    }

    #[tokio::test]
    async fn pauses_longer_than_max_wait_stop_the_run() {
        let pace = Pace::new(PaceConfig {
            max_wait: Duration::from_secs(10),
            ..config(10, 100)
        });
        let ticket = pace.acquire().await.unwrap();
        let stop = pace.observe(ticket, Some(429), None, Some(Duration::from_secs(11)));
        assert!(matches!(stop, Err(Stop::MaxWait(_))), "{stop:?}");
    }
}
