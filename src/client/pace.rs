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
//!   tenant's real limit (the lowest seen caps the hour window), and when it
//!   falls to the reserve (1% of the hourly limit) the pace drops to that
//!   limit spread over the hour until it recovers; what it allows is kept as
//!   a promise in `budget.rs`;
//! - a 429 pauses the whole run until its `Retry-After` (or a growing probe
//!   delay without one); then a single probe goes first, and the others follow
//!   only once it was not refused. The total pause is bounded by `max_wait`;
//! - waits for the hourly budget (the hour window full, or the reserve's
//!   slow pace) count against `max_wait` too, as wall-clock time: a client
//!   whose hour is not the server's ends with a stop naming `--hour-secs`,
//!   never a silent stall.
//!
//! Every wait keeps tokio's time, governor's included (`TokioClock`): the
//! same clock throughout, which a test's paused clock moves.

use std::collections::VecDeque;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::client::halt::Halt;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};
use tokio::sync::Notify;

use super::budget::Budget;
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
/// Probes never go closer than this, whatever `Retry-After` says: a date in
/// the past or `0` must not become a tight loop against a blocked tenant.
const PROBE_SPACING: Duration = Duration::from_secs(1);

/// governor's clock, read from tokio's: the same time every other wait of
/// the pace keeps (and a paused test clock moves), not a clock of its own.
#[derive(Clone, Debug)]
struct TokioClock {
    origin: Instant,
}

impl Default for TokioClock {
    fn default() -> TokioClock {
        TokioClock {
            origin: Instant::now(),
        }
    }
}

/// tokio's timer ticks by the millisecond: a wake-up this close after the
/// instant it slept to is on time, not late.
const TICK: Duration = Duration::from_millis(2);

thread_local! {
    /// The instant the request being checked slept to, while it is checked.
    static WOKE_FOR: std::cell::Cell<Option<Nanos>> = const { std::cell::Cell::new(None) };
}

impl Clock for TokioClock {
    type Instant = Nanos;

    /// Now; for a request checked right after it woke from waiting on the
    /// pace, the instant it slept to (when it woke within the timer's tick),
    /// so that the tick's lateness is not lost for good at every request
    /// (at 100 a second: 90% of the rate, not 97%).
    fn now(&self) -> Nanos {
        let now = Nanos::from(self.origin.elapsed());
        let woke_for = WOKE_FOR.with(std::cell::Cell::get);
        match woke_for {
            Some(at) if now.saturating_sub(at) < Nanos::from(TICK) => at,
            _ => now,
        }
    }
}

/// A request every `period`, on tokio's clock.
type Even = RateLimiter<NotKeyed, InMemoryState, TokioClock, NoOpMiddleware<Nanos>>;

/// Waits until `limiter` lets one request go, sleeping on tokio's timer.
async fn until_ready(limiter: &Even) {
    let mut woke_for = None;
    loop {
        let checked = WOKE_FOR.with(|w| {
            w.set(woke_for);
            let checked = limiter.check();
            w.set(None);
            checked
        });
        let Err(not_until) = checked else {
            return;
        };
        let at = not_until.earliest_possible();
        tokio::time::sleep_until(limiter.clock().origin + Duration::from(at)).await;
        woke_for = Some(at);
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PaceConfig {
    pub(crate) rate: NonZeroU32,
    pub(crate) hourly_limit: NonZeroU32,
    pub(crate) max_wait: Duration,
}

pub(crate) struct Pace {
    even: Even,
    /// The hour as the server counts it (for the reserve's even pace).
    server_hour: Duration,
    max_wait: Duration,
    configured_hourly: u64,
    reserve: u64,
    windows: Mutex<Windows>,
    /// The slower pace of the reserve, when in it.
    slow: Mutex<Option<Arc<Even>>>,
    pause: Mutex<Pause>,
    /// Wall-clock time spent waiting for the hourly budget.
    budget: Mutex<WaitClock>,
    resumed: Notify,
    /// The run's stop (`halt.rs`): waiters give up with `Stop::Halted`.
    halt: Arc<Halt>,
    pub(crate) counters: Counters,
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

    /// Forgets the sends that left the window by `now`: how many did.
    fn prune(&mut self, now: Instant) -> u64 {
        let before = self.sent.len();
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.span)
        {
            self.sent.pop_front();
        }
        (before - self.sent.len()) as u64
    }

    /// `None` if a send at `now` fits, else when the oldest send leaves.
    fn full_until(&mut self, now: Instant) -> Option<Instant> {
        self.prune(now);
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
    /// What `X-RateLimit-Remaining` allows.
    budget: Budget,
}

/// The 429 pause. While `until` is set, no request leaves but one probe at
/// a time once `until` has passed; only a probe's answer ends the pause.
#[derive(Default)]
struct Pause {
    /// The pause is on, and lasts at least until then.
    until: Option<Instant>,
    /// When this pause began.
    started: Option<Instant>,
    /// The probe out now, if any: its number and when it left.
    probe: Option<(u64, Instant)>,
    /// When the last probe left (probes are never closer than `PROBE_SPACING`).
    last_probe: Option<Instant>,
    probes_sent: u64,
    /// Probes refused in this pause: the step of the schedule without `Retry-After`.
    refused_probes: usize,
    /// When the last pause was lifted: a 429 to a request sent before then is stale.
    lifted: Option<Instant>,
    /// Time spent in pauses that ended.
    total: Duration,
}

/// Wall-clock time during which at least one request waited: many waiting
/// at once count once.
#[derive(Default)]
struct WaitClock {
    /// Time of waits that ended (with no other wait overlapping them since).
    total: Duration,
    /// Since when requests have been waiting, and how many are.
    since: Option<Instant>,
    waiters: usize,
}

impl WaitClock {
    fn start(&mut self, now: Instant) {
        if self.waiters == 0 {
            self.since = Some(now);
        }
        self.waiters += 1;
    }

    fn end(&mut self, now: Instant) {
        self.waiters -= 1;
        if self.waiters == 0
            && let Some(since) = self.since.take()
        {
            self.total += now.saturating_duration_since(since);
        }
    }

    fn elapsed(&self, now: Instant) -> Duration {
        self.total
            + self
                .since
                .map_or(Duration::ZERO, |s| now.saturating_duration_since(s))
    }
}

/// Why a request cannot take a slot now.
#[derive(Debug)]
enum Busy {
    /// The run is paused by a 429.
    Paused,
    /// The second window is full until then.
    Second(Instant),
    /// The hour window is full until then: a wait for the hourly budget.
    Hour(Instant),
}

/// What a request must wait for before it may take a slot.
enum Wait {
    Until(Instant),
    /// The probe's answer.
    Probe,
}

impl Pause {
    /// What a request must wait for now, if anything.
    fn blocked(&self, now: Instant) -> Option<Wait> {
        let until = self.until?;
        if let Some((_, since)) = self.probe
            && now.duration_since(since) < PROBE_TIMEOUT
        {
            return Some(Wait::Probe);
        }
        let next = self
            .last_probe
            .map_or(until, |last| until.max(last + PROBE_SPACING));
        (now < next).then_some(Wait::Until(next))
    }

    /// During a pause whose wait is over, the request leaving now is its
    /// probe: its number. `None` when not paused.
    fn claim_probe(&mut self, now: Instant) -> Option<u64> {
        self.until?;
        self.probes_sent += 1;
        self.probe = Some((self.probes_sent, now));
        self.last_probe = Some(now);
        Some(self.probes_sent)
    }

    fn is_probe_of_this_pause(&self, ticket: Ticket) -> bool {
        ticket.probe.is_some() && self.started.is_some_and(|s| ticket.sent_at >= s)
    }

    /// Paused time so far, this pause included up to `at`.
    fn paused_total(&self, at: Instant) -> Duration {
        self.total
            + self
                .started
                .map_or(Duration::ZERO, |s| at.saturating_duration_since(s))
    }
}

/// Counts for the summary.
#[derive(Default, Debug)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    /// Requests answered 429.
    pub(crate) rate_limited: AtomicU64,
    /// Pauses for 429 (one per block, however many requests it refused).
    pub(crate) pauses: AtomicU64,
    pub(crate) retries: AtomicU64,
    /// Why the requests that were retried failed, by kind (`HTTP 503`,
    /// `no answer`): doctor says it of a tenant that answered only after retries.
    failed: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
}

impl Counters {
    /// A request failed and is retried: `why` is the kind of failure.
    pub(crate) fn note_failure(&self, why: String) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        *self
            .failed
            .lock()
            .expect("counters")
            .entry(why)
            .or_default() += 1;
    }

    /// The failures retried so far, by kind.
    pub(crate) fn failures(&self) -> std::collections::BTreeMap<String, u64> {
        self.failed.lock().expect("counters").clone()
    }
}

/// Handed out with each permit: how many of our requests the hour window
/// held with this one, so that `X-RateLimit-Remaining` on its answer tells
/// the tenant's limit exactly.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ticket {
    in_window: u64,
    /// When it took its slot.
    sent_at: Instant,
    /// The probe number, when it went as the probe of a pause.
    probe: Option<u64>,
}

impl Pace {
    #[cfg(test)]
    pub(crate) fn new(config: PaceConfig) -> Pace {
        Pace::with_hour(config, Duration::from_secs(3600), Arc::default())
    }

    /// `hour` is shorter only for rehearsals against a sandbox with a short
    /// hour; `halt` is the run's, which the pace heeds and never decides.
    pub(crate) fn with_hour(config: PaceConfig, hour: Duration, halt: Arc<Halt>) -> Pace {
        let rate = config.rate.get();
        let hourly = u64::from(config.hourly_limit.get());
        Pace {
            even: even(Duration::from_secs(1) / rate),
            server_hour: hour,
            max_wait: config.max_wait,
            configured_hourly: hourly,
            reserve: (hourly / 100).max(1),
            windows: Mutex::new(Windows {
                second: SlidingWindow::new(SECOND_WINDOW, u64::from(rate)),
                hour: SlidingWindow::new(hour + hour_margin(hour), hourly),
                budget: Budget::default(),
            }),
            slow: Mutex::new(None),
            pause: Mutex::default(),
            budget: Mutex::default(),
            resumed: Notify::new(),
            halt,
            counters: Counters::default(),
        }
    }

    /// Waits until one request may be sent now. Fails when the run halts, or
    /// when the total 429 pause would exceed `max_wait`.
    pub(crate) async fn acquire(&self) -> Result<Ticket, Stop> {
        tokio::select! {
            _ = self.halt.halted() => Err(Stop::Halted),
            ticket = self.acquire_inner() => ticket,
        }
    }

    async fn acquire_inner(&self) -> Result<Ticket, Stop> {
        loop {
            self.wait_out_pause().await?;
            let slow = self.slow.lock().expect("slow lock").clone();
            if let Some(slow) = slow {
                self.wait_for_budget(until_ready(&slow)).await?;
            }
            until_ready(&self.even).await;
            loop {
                match self.take_slot() {
                    Ok(ticket) => return Ok(ticket),
                    Err(Busy::Second(free_at)) => tokio::time::sleep_until(free_at).await,
                    Err(Busy::Hour(free_at)) => {
                        tracing::debug!("hourly window full until {free_at:?}");
                        self.wait_for_budget(tokio::time::sleep_until(free_at))
                            .await?;
                    }
                    // A 429 came while we waited on the pace: wait out the pause.
                    Err(Busy::Paused) => break,
                }
            }
        }
    }

    /// Waits for `wait` (a wait for the hourly budget) within what is left
    /// of `max_wait`, the 429 pauses and the budget waits so far counted.
    async fn wait_for_budget(&self, wait: impl Future<Output = ()>) -> Result<(), Stop> {
        let now = Instant::now();
        let paused = self.pause.lock().expect("pause lock").paused_total(now);
        let left = {
            let mut budget = self.budget.lock().expect("budget lock");
            let left = self.max_wait.saturating_sub(paused + budget.elapsed(now));
            budget.start(now);
            left
        };
        let waited = tokio::time::timeout(left, wait).await;
        self.budget.lock().expect("budget lock").end(Instant::now());
        waited.map_err(|_| self.budget_exhausted())
    }

    fn budget_exhausted(&self) -> Stop {
        Stop::HourlyBudget {
            max_wait: humantime::format_duration(self.max_wait).to_string(),
            hour: humantime::format_duration(self.server_hour).to_string(),
        }
    }

    /// Takes a place in both windows now, or says why not. The pause is
    /// checked under its lock, held while the slot is taken: no request
    /// leaves once a 429 has paused the run, however long it had been
    /// waiting on the pace.
    fn take_slot(&self) -> Result<Ticket, Busy> {
        let now = Instant::now();
        let mut p = self.pause.lock().expect("pause lock");
        if p.blocked(now).is_some() {
            return Err(Busy::Paused);
        }
        let mut windows = self.windows.lock().expect("windows lock");
        let w = &mut *windows;
        if let Some(at) = w.budget.wait(now, w.hour.span, self.server_hour) {
            return Err(Busy::Hour(at));
        }
        match (w.second.full_until(now), w.hour.full_until(now)) {
            (_, Some(hour)) => return Err(Busy::Hour(hour)),
            (Some(second), None) => return Err(Busy::Second(second)),
            (None, None) => {}
        }
        let probe = p.claim_probe(now);
        w.second.record(now);
        w.hour.record(now);
        w.budget.spend(now);
        self.counters.requests.fetch_add(1, Ordering::Relaxed);
        Ok(Ticket {
            in_window: w.hour.sent.len() as u64,
            sent_at: now,
            probe,
        })
    }

    /// Waits while the run is paused and no probe may go. Fails once the
    /// time spent paused exceeds `max_wait`.
    async fn wait_out_pause(&self) -> Result<(), Stop> {
        loop {
            let notified = self.resumed.notified();
            let wait = {
                let p = self.pause.lock().expect("pause lock");
                let now = Instant::now();
                match p.blocked(now) {
                    None => return Ok(()),
                    Some(_) if p.paused_total(now) + self.budget_waited(now) > self.max_wait => {
                        return Err(self.max_wait_exceeded());
                    }
                    Some(wait) => wait,
                }
            };
            match wait {
                Wait::Until(at) => {
                    // Woken early when a probe's answer changes the picture.
                    let _ = tokio::time::timeout_at(at, notified).await;
                }
                // Wait for the probe's answer (re-checking now and then, in case it never comes).
                Wait::Probe => {
                    let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
                }
            }
        }
    }

    fn budget_waited(&self, now: Instant) -> Duration {
        self.budget.lock().expect("budget lock").elapsed(now)
    }

    fn max_wait_exceeded(&self) -> Stop {
        Stop::MaxWait(humantime::format_duration(self.max_wait).to_string())
    }

    /// Reads an answer: `status` (None for no HTTP answer), the
    /// `X-RateLimit-Remaining` and `Retry-After` it carried.
    pub(crate) fn observe(
        &self,
        ticket: Ticket,
        status: Option<u16>,
        remaining: Option<u64>,
        retry_after: Option<Duration>,
    ) -> Result<(), Stop> {
        (self.windows.lock().expect("windows lock").budget).done(ticket.sent_at, Instant::now());
        if status == Some(429) {
            return self.refused(ticket, retry_after);
        }
        self.answered(ticket, status.is_some());
        if let Some(remaining) = remaining {
            self.learn_remaining(ticket, remaining);
        }
        Ok(())
    }

    /// A 429. It starts a pause, unless it answers a request sent before the
    /// last pause ended (stale); during a pause, only a refused probe moves
    /// the schedule on, and any `Retry-After` may lengthen the pause, never
    /// shorten it.
    fn refused(&self, ticket: Ticket, retry_after: Option<Duration>) -> Result<(), Stop> {
        self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut p = self.pause.lock().expect("pause lock");
        let schedule =
            |step: usize| Duration::from_secs(PROBE_DELAYS[step.min(PROBE_DELAYS.len() - 1)]);
        match p.until {
            None if p.lifted.is_some_and(|lifted| ticket.sent_at < lifted) => {
                tracing::debug!("429 to a request sent before the last pause ended");
                return Ok(());
            }
            None => {
                let delay = retry_after
                    .unwrap_or_else(|| schedule(0))
                    .max(PROBE_SPACING);
                p.until = Some(now + delay);
                p.started = Some(now);
                p.probe = None;
                p.last_probe = None;
                p.refused_probes = 0;
                self.counters.pauses.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "rate limited (429): pausing every request for {}",
                    seconds(delay)
                );
            }
            Some(until) if p.is_probe_of_this_pause(ticket) => {
                p.refused_probes += 1;
                if p.probe.is_some_and(|(n, _)| Some(n) == ticket.probe) {
                    p.probe = None;
                }
                let delay = retry_after
                    .unwrap_or_else(|| schedule(p.refused_probes))
                    .max(PROBE_SPACING);
                p.until = Some(until.max(now + delay));
                tracing::info!("still rate limited (429): next probe in {}", seconds(delay));
                self.resumed.notify_waiters();
            }
            Some(until) => {
                tracing::debug!("429 to a request sent before the pause began");
                if let Some(named) = retry_after {
                    p.until = Some(until.max(now + named));
                }
            }
        }
        let (Some(started), Some(until)) = (p.started, p.until) else {
            return Ok(());
        };
        if p.total + (until - started) > self.max_wait {
            return Err(self.max_wait_exceeded());
        }
        Ok(())
    }

    /// Any answer but a 429 (`answered` false: none at all). Only a probe's
    /// says anything about the block: an answer lifts the pause; no answer
    /// lets another probe go, without moving the schedule on.
    fn answered(&self, ticket: Ticket, answered: bool) {
        let mut p = self.pause.lock().expect("pause lock");
        if p.until.is_none() || !p.is_probe_of_this_pause(ticket) {
            return;
        }
        if answered {
            let now = Instant::now();
            let paused = p.started.map_or(Duration::ZERO, |s| now - s);
            p.total += paused;
            p.until = None;
            p.started = None;
            p.probe = None;
            p.lifted = Some(now);
            tracing::info!("rate limit lifted after {}: resuming", seconds(paused));
        } else if p.probe.is_some_and(|(n, _)| Some(n) == ticket.probe) {
            p.probe = None;
            tracing::debug!("the probe got no answer: another goes");
        }
        drop(p);
        self.resumed.notify_waiters();
    }

    fn learn_remaining(&self, ticket: Ticket, remaining: u64) {
        let mut w = self.windows.lock().expect("windows lock");
        let sent_after = w.hour.sent.iter().filter(|t| **t > ticket.sent_at).count();
        (w.budget).observe(
            ticket.sent_at,
            remaining,
            ticket.in_window,
            sent_after as u64,
        );
        // Never above the lowest limit the tenant has shown in this run.
        let tenant_limit = w
            .budget
            .lowest_limit()
            .unwrap_or(ticket.in_window + remaining);
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
                *slow = Some(Arc::new(even(period)));
            }
            w.hour.cap = cap;
        } else if remaining > 2 * self.reserve && slow.is_some() {
            tracing::info!("X-RateLimit-Remaining is {remaining}: back to the full pace");
            *slow = None;
            w.hour.cap = self.configured_hourly;
        }
    }

    /// When the current 429 pause ends, if paused.
    pub(crate) fn paused_until(&self) -> Option<Instant> {
        self.pause
            .lock()
            .expect("pause lock")
            .until
            .filter(|u| *u > Instant::now())
    }
}

/// "2.0 s", for log lines.
fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// One request every `period`, no burst.
fn even(period: Duration) -> Even {
    let quota = Quota::with_period(period.max(Duration::from_nanos(1)))
        .expect("a positive period")
        .allow_burst(NonZeroU32::MIN);
    RateLimiter::direct_with_clock(quota, TokioClock::default())
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

    #[tokio::test(start_paused = true)]
    async fn the_hour_window_holds_no_more_than_the_hourly_limit() {
        let pace = Pace::with_hour(config(1000, 5), Duration::from_millis(300), Arc::default());
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

    #[tokio::test(start_paused = true)]
    async fn a_low_remaining_caps_the_window_at_the_tenants_real_limit() {
        let pace = Pace::with_hour(
            config(1000, 1000),
            Duration::from_millis(200),
            Arc::default(),
        );
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

    fn paused_pace(retry_after: Duration) -> (Arc<Pace>, Ticket) {
        let pace = Arc::new(Pace::new(PaceConfig {
            max_wait: Duration::from_secs(3600),
            ..config(1000, 100_000)
        }));
        let sent_before = pace.take_slot().unwrap();
        let first = pace.take_slot().unwrap();
        pace.observe(first, Some(429), None, Some(retry_after))
            .unwrap();
        (pace, sent_before)
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_everyone_and_one_probe_goes_first() {
        let (pace, _) = paused_pace(Duration::from_millis(1200));
        assert!(pace.paused_until().is_some());
        let start = Instant::now();
        let probe = pace.acquire().await.unwrap();
        assert!(start.elapsed() >= Duration::from_millis(1150));
        assert!(probe.probe.is_some());
        // While the probe is out, nobody else goes.
        let other = tokio::spawn({
            let pace = pace.clone();
            async move { pace.acquire().await.map(|t| (Instant::now(), t)) }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(!other.is_finished());
        let answered = Instant::now();
        pace.observe(probe, Some(201), None, None).unwrap();
        let (left, ticket) = other.await.unwrap().unwrap();
        assert!(left >= answered);
        assert!(ticket.probe.is_none(), "the pause is over: no probe");
        assert_eq!(pace.counters.pauses.load(Ordering::Relaxed), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wake_up_within_the_timers_tick_is_on_time_and_a_later_one_is_late() {
        let clock = TokioClock::default();
        let slept_to = Nanos::from(Duration::from_millis(10));
        tokio::time::advance(Duration::from_micros(10_900)).await;
        let now = Nanos::from(Duration::from_micros(10_900));
        assert_eq!(clock.now(), now, "no request checked: now");
        WOKE_FOR.with(|w| w.set(Some(slept_to)));
        assert_eq!(clock.now(), slept_to, "0.9 ms after: on time");
        tokio::time::advance(Duration::from_millis(2)).await;
        assert_eq!(
            clock.now(),
            Nanos::from(Duration::from_micros(12_900)),
            "2.9 ms after: late"
        );
        WOKE_FOR.with(|w| w.set(None));
    }

    #[tokio::test]
    async fn a_request_already_waiting_on_the_pace_does_not_leave_into_a_pause() {
        // Two a second: the second request waits half a second on the pace.
        let pace = Arc::new(Pace::new(PaceConfig {
            max_wait: Duration::from_secs(60),
            ..config(2, 100_000)
        }));
        let first = pace.acquire().await.unwrap();
        let waiting = tokio::spawn({
            let pace = pace.clone();
            async move { pace.acquire().await.map(|t| (Instant::now(), t)) }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let paused_at = Instant::now();
        pace.observe(first, Some(429), None, Some(Duration::from_secs(2)))
            .unwrap();
        let (left, ticket) = waiting.await.unwrap().unwrap();
        assert!(
            left >= paused_at + Duration::from_millis(1950),
            "{:?}",
            left - paused_at
        );
        assert!(ticket.probe.is_some(), "it went as the probe");
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_to_a_request_sent_before_the_pause_neither_escalates_nor_lifts_it() {
        let (pace, sent_before) = paused_pace(Duration::from_secs(15));
        let until = pace.paused_until().unwrap();
        // Without Retry-After it does not move the schedule on...
        pace.observe(sent_before, Some(429), None, None).unwrap();
        assert_eq!(pace.paused_until(), Some(until));
        assert_eq!(pace.pause.lock().unwrap().refused_probes, 0);
        // ...with one, it may lengthen the pause, never shorten it...
        pace.observe(sent_before, Some(429), None, Some(Duration::from_secs(1)))
            .unwrap();
        assert_eq!(pace.paused_until(), Some(until));
        pace.observe(sent_before, Some(429), None, Some(Duration::from_secs(20)))
            .unwrap();
        assert!(pace.paused_until().unwrap() > until);
        // ...and any other answer from before the pause does not lift it.
        pace.observe(sent_before, Some(201), None, None).unwrap();
        pace.observe(sent_before, None, None, None).unwrap();
        assert!(pace.paused_until().is_some());
        assert_eq!(pace.counters.pauses.load(Ordering::Relaxed), 1);
        assert_eq!(pace.counters.rate_limited.load(Ordering::Relaxed), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_to_a_request_sent_before_the_pause_ended_starts_no_new_pause() {
        let (pace, sent_before) = paused_pace(Duration::from_secs(1));
        let probe = pace.acquire().await.unwrap();
        pace.observe(probe, Some(200), None, None).unwrap();
        assert!(pace.paused_until().is_none());
        pace.observe(sent_before, Some(429), None, Some(Duration::from_secs(30)))
            .unwrap();
        assert!(pace.paused_until().is_none());
        // A request sent after the pause ended and refused starts a new one.
        let later = pace.acquire().await.unwrap();
        pace.observe(later, Some(429), None, None).unwrap();
        assert!(pace.paused_until().is_some());
        assert_eq!(pace.counters.pauses.load(Ordering::Relaxed), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_without_an_answer_lets_another_go_a_second_later_without_escalating() {
        let (pace, _) = paused_pace(Duration::from_secs(1));
        let until = pace.paused_until().unwrap();
        let first = pace.acquire().await.unwrap();
        let sent = Instant::now();
        pace.observe(first, None, None, None).unwrap();
        let second = pace.acquire().await.unwrap();
        assert!(second.probe.is_some() && second.probe != first.probe);
        assert!(
            sent.elapsed() >= Duration::from_millis(950),
            "probes 1 s apart"
        );
        assert_eq!(pace.pause.lock().unwrap().refused_probes, 0);
        assert_eq!(pace.pause.lock().unwrap().until, Some(until));
    }

    #[tokio::test(start_paused = true)]
    async fn a_retry_after_of_zero_still_spaces_probes_a_second_apart() {
        let (pace, _) = paused_pace(Duration::ZERO);
        let start = Instant::now();
        let probe = pace.acquire().await.unwrap();
        pace.observe(probe, Some(429), None, Some(Duration::ZERO))
            .unwrap();
        let again = pace.acquire().await.unwrap();
        assert!(again.probe.is_some());
        assert!(
            start.elapsed() >= Duration::from_millis(1950),
            "{:?}",
            start.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn only_refused_probes_move_the_schedule_without_retry_after_on() {
        let pace = Pace::new(PaceConfig {
            max_wait: Duration::from_secs(3600),
            ..config(10, 100)
        });
        let first = pace.take_slot().unwrap();
        let before = Instant::now();
        pace.observe(first, Some(429), None, None).unwrap();
        let mut waits = vec![(pace.paused_until().unwrap() - before).as_secs()];
        for _ in 0..2 {
            // Pretend the wait is over, so that the probe goes; it is refused again.
            {
                let mut p = pace.pause.lock().unwrap();
                p.until = Some(Instant::now());
                p.last_probe = None;
            }
            let probe = pace.take_slot().unwrap();
            let before = Instant::now();
            pace.observe(probe, Some(429), None, None).unwrap();
            waits.push((pace.paused_until().unwrap() - before).as_secs());
        }
        assert_eq!(waits, [15, 30, 60]);
    }

    #[tokio::test(start_paused = true)]
    async fn pauses_longer_than_max_wait_stop_the_run() {
        let pace = Pace::new(PaceConfig {
            max_wait: Duration::from_secs(10),
            ..config(10, 100)
        });
        let ticket = pace.acquire().await.unwrap();
        let stop = pace.observe(ticket, Some(429), None, Some(Duration::from_secs(11)));
        assert!(matches!(stop, Err(Stop::MaxWait(_))), "{stop:?}");
        // Refused probes add up the wall-clock time spent paused.
        let pace = Pace::new(PaceConfig {
            max_wait: Duration::from_millis(2500),
            ..config(10, 100)
        });
        let ticket = pace.acquire().await.unwrap();
        pace.observe(ticket, Some(429), None, Some(Duration::from_secs(1)))
            .unwrap();
        let probe = pace.acquire().await.unwrap();
        pace.observe(probe, Some(429), None, Some(Duration::from_secs(1)))
            .unwrap();
        let probe = pace.acquire().await.unwrap();
        let stop = pace.observe(probe, Some(429), None, Some(Duration::from_secs(1)));
        assert!(matches!(stop, Err(Stop::MaxWait(_))), "{stop:?}");
    }
}
