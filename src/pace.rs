//! The limiter every request passes, right before each HTTP attempt (lookups
//! and retries included). Promises, as the server measures them by arrival:
//!
//! - no 1-second window holds more than `rate` requests. governor spaces
//!   requests evenly at `1/rate`, without a burst; on top of it, a sliding
//!   window of our own send times lets no more than `rate` go in any 1.02 s,
//!   so 20 ms of network jitter cannot squeeze `rate + 1` into one second at
//!   the server. (governor alone loses each late wake-up for good; the window
//!   is absolute, so that lateness is absorbed inside the 20 ms instead);
//! - no hour holds more than `hourly_limit`: the same kind of sliding window
//!   over the hour, since governor's quota would let a burst double it;
//! - `X-RateLimit-Remaining` is the truth about the hour: it tells the
//!   tenant's real limit, which caps the hour window, and when it falls to the
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

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::exit::Stop;

/// The span of the per-second window: a second plus the jitter it absorbs.
const SECOND_WINDOW: Duration = Duration::from_millis(1020);
/// Slack on the hour window, since our send times and the server's arrival
/// times differ: a thousandth of the hour (3.6 s), and never under 250 ms.
fn hour_margin(hour: Duration) -> Duration {
    (hour / 1000).max(Duration::from_millis(250))
}
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
    even: DefaultDirectRateLimiter,
    /// The hour as the server counts it (for the reserve's even pace).
    server_hour: Duration,
    max_wait: Duration,
    configured_hourly: u64,
    reserve: u64,
    windows: Mutex<Windows>,
    /// The slower pace of the reserve, when in it.
    slow: Mutex<Option<Arc<DefaultDirectRateLimiter>>>,
    pause: Mutex<Pause>,
    resumed: Notify,
    /// Cancelled when the run stops: waiters give up with `Stop::Halted`.
    halt: CancellationToken,
    pub counters: Counters,
}

/// At most `cap` sends in any `span`, over our own send times.
struct SlidingWindow {
    span: Duration,
    cap: u64,
    sent: VecDeque<Instant>,
}

impl SlidingWindow {
    fn new(span: Duration, cap: u64) -> SlidingWindow {
        SlidingWindow {
            span,
            cap,
            sent: VecDeque::new(),
        }
    }

    /// `None` if a send at `now` fits, else when the oldest send leaves.
    fn full_until(&mut self, now: Instant) -> Option<Instant> {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.span)
        {
            self.sent.pop_front();
        }
        ((self.sent.len() as u64) >= self.cap)
            .then(|| *self.sent.front().expect("a full window is not empty") + self.span)
    }

    fn record(&mut self, now: Instant) {
        self.sent.push_back(now);
    }
}

struct Windows {
    second: SlidingWindow,
    /// Its cap is what the tenant allows per hour, as far as we know.
    hour: SlidingWindow,
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
        let rate = config.rate.get();
        let hourly = u64::from(config.hourly_limit.get());
        Pace {
            even: RateLimiter::direct(limiter_quota(Duration::from_secs(1) / rate)),
            server_hour: hour,
            max_wait: config.max_wait,
            configured_hourly: hourly,
            reserve: (hourly / 100).max(1),
            windows: Mutex::new(Windows {
                second: SlidingWindow::new(SECOND_WINDOW, u64::from(rate)),
                hour: SlidingWindow::new(hour + hour_margin(hour), hourly),
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
        self.wait_out_pause().await?;
        let slow = self.slow.lock().expect("slow lock").clone();
        if let Some(slow) = slow {
            slow.until_ready().await;
        }
        self.even.until_ready().await;
        loop {
            match self.take_slot() {
                Ok(ticket) => return Ok(ticket),
                Err(free_at) => tokio::time::sleep_until(free_at.into()).await,
            }
            // A 429 may have come while we waited.
            self.wait_out_pause().await?;
        }
    }

    /// Takes a place in both windows now, or says when there may be one.
    fn take_slot(&self) -> Result<Ticket, Instant> {
        let now = Instant::now();
        let mut w = self.windows.lock().expect("windows lock");
        let second = w.second.full_until(now);
        let hour = w.hour.full_until(now);
        if let Some(free_at) = second.max(hour) {
            if hour.is_some() {
                tracing::debug!("hourly window full; waiting {:?}", free_at - now);
            }
            return Err(free_at);
        }
        w.second.record(now);
        w.hour.record(now);
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            in_window: w.hour.sent.len() as u64,
        })
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
        let mut w = self.windows.lock().expect("windows lock");
        let mut slow = self.slow.lock().expect("slow lock");
        if remaining <= self.reserve {
            // Never send more than the tenant allows in any hour, spread evenly.
            let cap = tenant_limit.clamp(1, self.configured_hourly);
            if slow.is_none() || cap != w.hour.cap {
                tracing::warn!(
                    "X-RateLimit-Remaining is {remaining}: slowing to {cap} requests per {:?}",
                    self.server_hour
                );
                let period = self.server_hour.div_f64(cap as f64);
                *slow = Some(Arc::new(RateLimiter::direct(limiter_quota(period))));
            }
            w.hour.cap = cap;
        } else if remaining > 2 * self.reserve && slow.is_some() {
            tracing::info!("X-RateLimit-Remaining is {remaining}: back to the full pace");
            *slow = None;
            w.hour.cap = self.configured_hourly;
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
                pair[50] - pair[0] >= SECOND_WINDOW,
                "51 requests within 1.02 s"
            );
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
        let hour = Duration::from_millis(300);
        assert!(times[5] >= hour + hour_margin(hour), "{times:?}");
        assert!(times[4] < hour, "{times:?}");
    }

    #[tokio::test]
    async fn a_low_remaining_caps_the_window_at_the_tenants_real_limit() {
        let pace = Pace::with_hour(config(1000, 1000), Duration::from_millis(200));
        let ticket = pace.acquire().await.unwrap();
        // The tenant says only 3 more: its limit is 4 an hour, whatever we were told.
        pace.observe(ticket, Some(200), Some(3), None).unwrap();
        assert_eq!(pace.windows.lock().unwrap().hour.cap, 4);
        assert!(pace.slow.lock().unwrap().is_some());
        let ticket = pace.acquire().await.unwrap();
        pace.observe(ticket, Some(200), Some(900), None).unwrap();
        assert_eq!(pace.windows.lock().unwrap().hour.cap, 1000);
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
    async fn a_429_without_retry_after_waits_on_a_growing_probe_schedule() {
        let pace = Pace::new(PaceConfig {
            max_wait: Duration::from_secs(3600),
            ..config(10, 100)
        });
        let mut waits = vec![];
        for _ in 0..3 {
            // Each probe is refused again.
            let ticket = pace.acquire_inner().await.unwrap();
            let before = Instant::now();
            pace.observe(ticket, Some(429), None, None).unwrap();
            waits.push((pace.paused_until().unwrap() - before).as_secs());
            // Pretend the pause is over, so the next probe may go.
            pace.pause.lock().unwrap().until = Some(Instant::now());
        }
        assert_eq!(waits, [15, 30, 60]);
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
