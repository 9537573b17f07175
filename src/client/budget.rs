//! The hourly budget `X-RateLimit-Remaining` promises. An answer saying R
//! means the run may send at most R more requests, less those it sent after
//! the request that answer belongs to (requests in flight count). The freshest
//! answer (by send time) is the truth; staler ones are ignored. When the
//! budget is spent nothing is sent, not even a probe (a request into a spent
//! hour is what blocks a tenant for 15 minutes), until the run's own oldest
//! request in the window has left it (counted from its answer, which came
//! after it arrived, so however late it left this machine); when the run's own requests do not
//! explain a spent hour (a fixed hour that resets at an unannounced time, or
//! another client of the same token), one whole hour passes before one
//! request goes to ask again. The tenant's limit learned from the header
//! never rises above the lowest one observed.

use std::time::Duration;

use tokio::time::Instant;

#[derive(Debug, Default)]
pub(crate) struct Budget {
    /// Requests still allowed, as of `as_of`; `None` until an answer says.
    left: Option<u64>,
    /// When the request whose answer set `left` was sent.
    as_of: Option<Instant>,
    /// A spent hour nothing of ours explains: nothing goes before then.
    hold_until: Option<Instant>,
    /// Such an hour was met, and no answer has shown room since: our own
    /// requests leaving free nothing for sure.
    held: bool,
    /// The lowest tenant limit observed (our requests in the window + R).
    lowest_limit: Option<u64>,
    /// The highest one: when our requests fall short of it, a spent hour
    /// is not ours alone.
    highest_limit: u64,
    /// Send times of our requests still without an answer (how many each).
    in_flight: std::collections::BTreeMap<Instant, u32>,
    /// Our answered requests, (answered, sent), in answer order: each is out
    /// of the tenant's hour one hour after its answer, at the latest.
    answered: std::collections::VecDeque<(Instant, Instant)>,
}

impl Budget {
    /// An answer to the request sent at `sent_at` said `remaining`; `in_window`
    /// of ours were in the hour with it, and `sent_after` of ours left after it.
    pub(crate) fn observe(
        &mut self,
        sent_at: Instant,
        remaining: u64,
        in_window: u64,
        sent_after: u64,
    ) {
        let limit = in_window + remaining;
        self.lowest_limit = Some(self.lowest_limit.map_or(limit, |l| l.min(limit)));
        self.highest_limit = self.highest_limit.max(limit);
        if self.as_of.is_some_and(|as_of| as_of > sent_at) {
            return; // an answer to an older request: staler than what we know
        }
        // Sent before it but still unanswered: they may reach the tenant after
        // it, so its count may not hold them yet.
        let in_flight: u64 = (self.in_flight.range(..sent_at))
            .map(|(_, n)| u64::from(*n))
            .sum();
        // Answered since it left: they too may have reached the tenant after it.
        let answered_since = (self.answered.iter())
            .filter(|(answered, sent)| *sent < sent_at && *answered > sent_at)
            .count() as u64;
        let unanswered_before = in_flight + answered_since;
        self.as_of = Some(sent_at);
        self.left = Some(remaining.saturating_sub(sent_after + unanswered_before));
        if remaining > 0 {
            self.hold_until = None;
            self.held = false;
        }
    }

    /// The lowest limit the tenant has shown, if any answer said.
    pub(crate) fn lowest_limit(&self) -> Option<u64> {
        self.lowest_limit
    }

    /// Our requests answered more than `span` ago have left the hour. When
    /// the budget is spent, that frees one place for sure (on a sliding
    /// hour, theirs; on a fixed one, the hour has turned), and no more: an
    /// answer may already have counted them free. The request that takes it
    /// asks again.
    fn forget(&mut self, now: Instant, span: Duration) {
        let mut freed = false;
        while self
            .answered
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) >= span)
        {
            self.answered.pop_front();
            freed = true;
        }
        if freed && self.left == Some(0) && !self.held {
            self.left = Some(1);
        }
    }

    /// `None` when a request may go now, else when to look again. `span`:
    /// the hour with the slack our clock may lag the tenant's by; `hour`:
    /// the tenant's hour.
    pub(crate) fn wait(&mut self, now: Instant, span: Duration, hour: Duration) -> Option<Instant> {
        self.forget(now, span);
        if self.left != Some(0) {
            return None;
        }
        let oldest = self.answered.front().map(|(answered, _)| *answered);
        let in_flight: u32 = self.in_flight.values().sum();
        let ours = self.answered.len() as u64 + u64::from(in_flight);
        if let Some(until) = self.hold_until {
            if now < until {
                return Some(until);
            }
            // A whole hour has passed: one request goes to ask again.
            self.hold_until = None;
            self.left = Some(1);
            return None;
        }
        let explained = ours >= self.highest_limit;
        match oldest {
            // Ours fill the hour: the oldest leaving frees a place (and an
            // answer still in flight may say more sooner).
            Some(oldest) if explained => Some((oldest + span).min(now + LOOK_AGAIN)),
            None if explained && in_flight > 0 => Some(now + LOOK_AGAIN),
            _ => {
                tracing::warn!(
                    "X-RateLimit-Remaining is 0 and this run's requests do not explain it \
                     (another client of the token, or an hour that resets at a fixed time): \
                     waiting {} before asking again",
                    humantime::format_duration(hour)
                );
                // The hour, and the slack our send times may lag the tenant's by.
                let until = now + span.max(hour);
                self.hold_until = Some(until);
                self.held = true;
                Some(until)
            }
        }
    }

    /// A request left at `at`.
    pub(crate) fn spend(&mut self, at: Instant) {
        *self.in_flight.entry(at).or_default() += 1;
        if let Some(left) = &mut self.left {
            *left = left.saturating_sub(1);
        }
    }

    /// The request sent at `at` has its answer (or will never have one), `now`.
    pub(crate) fn done(&mut self, at: Instant, now: Instant) {
        if let Some(n) = self.in_flight.get_mut(&at) {
            *n -= 1;
            if *n == 0 {
                self.in_flight.remove(&at);
            }
            self.answered.push_back((now, at));
        }
    }
}

/// How often a spent budget is looked at again while answers are in flight.
const LOOK_AGAIN: Duration = Duration::from_millis(200);

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(6);
    const SPAN: Duration = Duration::from_millis(6250);

    /// A request sent and answered at `at`, as `observe` hears it.
    fn answered(budget: &mut Budget, at: Instant) {
        budget.spend(at);
        budget.done(at, at);
    }

    #[test]
    fn the_budget_is_unknown_until_an_answer_says_it() {
        let mut budget = Budget::default();
        let now = Instant::now();
        assert_eq!(budget.wait(now, SPAN, HOUR), None);
        budget.spend(now);
        assert_eq!(budget.wait(now, SPAN, HOUR), None);
    }

    #[test]
    fn requests_sent_after_the_one_answered_count_against_what_remains() {
        let mut budget = Budget::default();
        let t0 = Instant::now();
        answered(&mut budget, t0);
        let (t1, t2) = (t0 + Duration::from_millis(1), t0 + Duration::from_millis(2));
        budget.spend(t1);
        budget.spend(t2);
        // The answer to t0's request says 3 remain; t1 and t2 left since.
        budget.observe(t0, 3, 1, 2);
        assert_eq!(budget.wait(t2, SPAN, HOUR), None);
        budget.spend(t2);
        assert!(budget.wait(t2, SPAN, HOUR).is_some(), "spent: nothing goes");
        assert_eq!(budget.lowest_limit(), Some(4));
        // One hour (and its slack) after t0's answer, one place is free, to ask again.
        assert_eq!(budget.wait(t0 + SPAN, SPAN, HOUR), None);
        budget.spend(t0 + SPAN);
        assert!(budget.wait(t0 + SPAN, SPAN, HOUR).is_some());
    }

    #[test]
    fn requests_sent_before_the_one_answered_and_still_unanswered_count_too() {
        let mut budget = Budget::default();
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_millis(1);
        budget.spend(t0); // may reach the tenant after t1's request
        budget.spend(t1);
        budget.done(t1, t1);
        budget.observe(t1, 1, 2, 0);
        assert!(
            budget.wait(t1, SPAN, HOUR).is_some(),
            "t0's may take the last place"
        );
        budget.done(t0, t1);
        budget.observe(t0, 1, 1, 1);
        assert!(budget.wait(t1, SPAN, HOUR).is_some(), "stale: ignored");
    }

    #[test]
    fn a_spent_hour_our_requests_explain_waits_for_our_oldest_answer_to_leave() {
        let mut budget = Budget::default();
        let t0 = Instant::now();
        (0..60).for_each(|i| answered(&mut budget, t0 + Duration::from_millis(i)));
        budget.observe(t0 + Duration::from_millis(59), 0, 60, 0);
        let now = t0 + Duration::from_secs(1);
        let look = budget.wait(now, SPAN, HOUR).unwrap();
        assert!(
            look <= t0 + SPAN && look > now,
            "looked at again, never past the oldest leaving"
        );
    }

    #[test]
    fn a_spent_hour_nothing_of_ours_explains_holds_one_whole_hour_then_one_request() {
        let mut budget = Budget::default();
        let t0 = Instant::now();
        answered(&mut budget, t0);
        // The tenant showed 60 an hour; then 0 remain with one of ours in it.
        budget.observe(t0, 59, 1, 0);
        budget.observe(t0, 0, 1, 0);
        let hold = budget.wait(t0, SPAN, HOUR).unwrap();
        assert_eq!(hold, t0 + SPAN, "the hour and its slack");
        assert_eq!(budget.wait(t0 + HOUR / 2, SPAN, HOUR), Some(hold));
        assert_eq!(budget.wait(hold, SPAN, HOUR), None, "one goes");
        budget.spend(hold);
        assert!(budget.wait(hold, SPAN, HOUR).is_some(), "and only one");
        assert_eq!(budget.lowest_limit(), Some(1), "what the cap follows");
    }
}
