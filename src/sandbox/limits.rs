//! The API's two limits, as the contract describes them: above `rate`
//! requests in any second each extra request is delayed by 500 ms (throttle);
//! above `hourly_limit` requests in any hour the caller is blocked for
//! `block` and every request gets 429 until it ends.
//!
//! Windows slide over arrival times, so a client that crosses a line in any
//! window is caught, whatever the alignment; with `fixed_hour` the hour is
//! instead a fixed period from the first request, reset all at once (as
//! tenants whose hour restarts at a time nobody announces). With `count_refused` (as some
//! tenants do) the requests refused during a block count in the hour too:
//! a client that keeps knocking is blocked again as soon as the block ends.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

pub(crate) const THROTTLE_DELAY: Duration = Duration::from_millis(500);

#[derive(Debug)]
pub(crate) struct Limits {
    rate: u32,
    hourly_limit: u32,
    hour: Duration,
    block: Duration,
    count_refused: bool,
    fixed_hour: bool,
    state: Mutex<Windows>,
}

#[derive(Debug, Default)]
struct Windows {
    second: VecDeque<Instant>,
    hour: VecDeque<Instant>,
    blocked_until: Option<Instant>,
    /// With a fixed hour: when the current one began.
    hour_start: Option<Instant>,
}

#[derive(Debug, PartialEq)]
pub(crate) enum Admission {
    /// Serve it, after `delay` (zero unless throttled).
    Go { delay: Duration, remaining: u64 },
    /// Blocked: answer 429.
    Blocked { retry_after: Duration },
}

impl Limits {
    pub(crate) fn new(rate: u32, hourly_limit: u32, hour: Duration, block: Duration) -> Limits {
        Limits {
            rate,
            hourly_limit,
            hour,
            block,
            count_refused: false,
            fixed_hour: false,
            state: Mutex::default(),
        }
    }

    /// Requests refused during a block count in the hour window.
    pub(crate) fn counting_refused(self, count_refused: bool) -> Limits {
        Limits {
            count_refused,
            ..self
        }
    }

    /// The hour as a fixed period that resets all at once, instead of a
    /// sliding window.
    pub(crate) fn fixed_hour(self, fixed_hour: bool) -> Limits {
        Limits { fixed_hour, ..self }
    }

    fn prune_hour(&self, w: &mut Windows, now: Instant) {
        if self.fixed_hour {
            let start = *w.hour_start.get_or_insert(now);
            if now >= start + self.hour {
                let periods = (now - start).as_nanos() / self.hour.as_nanos();
                w.hour_start = Some(start + self.hour * periods as u32);
                w.hour.clear();
            }
            return;
        }
        while w
            .hour
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.hour)
        {
            w.hour.pop_front();
        }
    }

    /// Counts a request arriving at `now` and says how to treat it.
    pub(crate) fn admit(&self, now: Instant) -> Admission {
        let mut w = self.state.lock().expect("limits lock");
        if let Some(until) = w.blocked_until {
            if now < until {
                if self.count_refused {
                    self.prune_hour(&mut w, now);
                    w.hour.push_back(now);
                }
                return Admission::Blocked {
                    retry_after: until - now,
                };
            }
            w.blocked_until = None;
        }
        self.prune_hour(&mut w, now);
        w.hour.push_back(now);
        if w.hour.len() > self.hourly_limit as usize {
            // The block starts a fresh hour once it ends.
            w.hour.clear();
            w.second.clear();
            w.blocked_until = Some(now + self.block);
            return Admission::Blocked {
                retry_after: self.block,
            };
        }
        while w
            .second
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
        {
            w.second.pop_front();
        }
        w.second.push_back(now);
        let delay = if w.second.len() > self.rate as usize {
            THROTTLE_DELAY
        } else {
            Duration::ZERO
        };
        let remaining = u64::from(self.hourly_limit).saturating_sub(w.hour.len() as u64);
        Admission::Go { delay, remaining }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_hour_resets_all_at_once_and_a_sliding_one_by_each_request() {
        let hour = Duration::from_secs(10);
        let fixed = Limits::new(100, 2, hour, Duration::from_secs(5)).fixed_hour(true);
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(matches!(
            fixed.admit(at(0)),
            Admission::Go { remaining: 1, .. }
        ));
        assert!(matches!(
            fixed.admit(at(9_000)),
            Admission::Go { remaining: 0, .. }
        ));
        // 10 s after the first request the whole hour starts again.
        assert!(matches!(
            fixed.admit(at(10_001)),
            Admission::Go { remaining: 1, .. }
        ));
        let sliding = Limits::new(100, 2, hour, Duration::from_secs(5));
        assert!(matches!(
            sliding.admit(at(0)),
            Admission::Go { remaining: 1, .. }
        ));
        assert!(matches!(
            sliding.admit(at(9_000)),
            Admission::Go { remaining: 0, .. }
        ));
        // Only the first request has left the sliding hour.
        assert!(matches!(
            sliding.admit(at(10_001)),
            Admission::Go { remaining: 0, .. }
        ));
    }

    #[test]
    fn requests_above_the_rate_in_one_second_are_delayed() {
        let limits = Limits::new(2, 100, Duration::from_secs(3600), Duration::from_secs(900));
        let t0 = Instant::now();
        let delays: Vec<Duration> = [0, 100, 200, 1150]
            .iter()
            .map(|ms| match limits.admit(t0 + Duration::from_millis(*ms)) {
                Admission::Go { delay, .. } => delay,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            delays,
            [
                Duration::ZERO,
                Duration::ZERO,
                THROTTLE_DELAY,
                Duration::ZERO
            ]
        );
    }

    #[test]
    fn crossing_the_hourly_limit_blocks_every_request_until_the_block_ends() {
        let limits = Limits::new(100, 3, Duration::from_secs(10), Duration::from_secs(5));
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        assert_eq!(
            limits.admit(at(0)),
            Admission::Go {
                delay: Duration::ZERO,
                remaining: 2
            }
        );
        limits.admit(at(1));
        assert_eq!(
            limits.admit(at(2)),
            Admission::Go {
                delay: Duration::ZERO,
                remaining: 0
            }
        );
        assert_eq!(
            limits.admit(at(3)),
            Admission::Blocked {
                retry_after: Duration::from_secs(5)
            }
        );
        assert_eq!(
            limits.admit(at(2003)),
            Admission::Blocked {
                retry_after: Duration::from_secs(3)
            }
        );
        assert_eq!(
            limits.admit(at(5003)),
            Admission::Go {
                delay: Duration::ZERO,
                remaining: 2
            }
        );
    }

    #[test]
    fn with_count_refused_knocking_during_a_block_blocks_again_when_it_ends() {
        let limits = Limits::new(100, 2, Duration::from_secs(10), Duration::from_secs(1))
            .counting_refused(true);
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        limits.admit(at(0));
        limits.admit(at(1));
        assert!(matches!(limits.admit(at(2)), Admission::Blocked { .. }));
        // Two refused knocks during the block fill the hour again...
        limits.admit(at(500));
        limits.admit(at(600));
        // ...so the first request after the block is blocked at once.
        assert!(matches!(limits.admit(at(1100)), Admission::Blocked { .. }));
        // Without knocking, the block ends for good.
        let quiet = Limits::new(100, 2, Duration::from_secs(10), Duration::from_secs(1));
        quiet.admit(at(0));
        quiet.admit(at(1));
        quiet.admit(at(2));
        assert!(matches!(quiet.admit(at(1100)), Admission::Go { .. }));
    }

    #[test]
    fn the_hour_window_slides() {
        let limits = Limits::new(100, 2, Duration::from_secs(10), Duration::from_secs(5));
        let t0 = Instant::now();
        limits.admit(t0);
        limits.admit(t0 + Duration::from_secs(6));
        // The first request has left the window by t0 + 10 s.
        assert!(matches!(
            limits.admit(t0 + Duration::from_secs(10)),
            Admission::Go { .. }
        ));
        assert!(matches!(
            limits.admit(t0 + Duration::from_secs(11)),
            Admission::Blocked { .. }
        ));
    }
}
