//! Waiting: the poll schedule driven over the transport until a generation is terminal.

use super::{race, Client, Either, Timer, Transport, WaitOptions};
use crate::error::{Error, ErrorCode};
use crate::model::{Generation, State};
use crate::poll::{Action, PollConfig, Schedule};

impl<T: Transport, C: Timer> Client<T, C> {
    /// Polls until `id` is terminal: `Ok` when completed, `generation_failed` when failed,
    /// `timeout` at the deadline. `on_change` sees every new state or progress.
    pub async fn wait(
        &self,
        id: &str,
        opts: WaitOptions,
        on_change: &mut dyn FnMut(&Generation),
    ) -> Result<Generation, Error> {
        let now = self.timer.now_ms();
        let config = self.poll_config(opts.deadline_ms);
        let seed = self.wait_seed(&opts);
        // An id this client has not seen may be an old job: look at once, then plan from its
        // `created_at`. One this client created is planned from its own record of the create.
        let unseen = !self.known.borrow().contains_key(id);
        let start = if unseen {
            now.saturating_sub(config.first_check_ms)
        } else {
            now
        };
        let mut schedule = self.schedule_for(id, config.clone(), start, now, seed);
        let mut anchored = self.created_here(id);
        let mut last: Option<Generation> = None;
        let mut last_answer: Option<u64> = None;
        loop {
            let now = self.timer.now_ms();
            match schedule.poll(now) {
                Action::Done => {
                    self.learn(id, &schedule);
                    return finished(last);
                }
                Action::DeadlineExceeded => return Err(self.timed_out(id, last.as_ref())),
                Action::WaitUntil(t) => {
                    self.sleep_until(t.min(opts.deadline_ms.unwrap_or(t)), now)
                        .await
                }
                Action::FetchNow => {
                    if !self.keep_gap(last_answer, opts.deadline_ms).await {
                        return Err(self.timed_out(id, last.as_ref()));
                    }
                    let request = self.provider.get(id, schedule.wait_for());
                    let answer = match opts.deadline_ms {
                        Some(d) => {
                            match race(self.fetch_one(request), self.sleep_until(d, now)).await {
                                Either::Left(answer) => answer,
                                Either::Right(()) => return Err(self.timed_out(id, last.as_ref())),
                            }
                        }
                        None => self.fetch_one(request).await,
                    };
                    let now = self.timer.now_ms();
                    last_answer = Some(now);
                    match answer {
                        Ok(g) => {
                            if !anchored {
                                anchored = true;
                                if let Some(created) = created_ms(&g).filter(|c| *c < start) {
                                    schedule = Schedule::new(config.clone(), created, now, seed);
                                }
                            }
                            schedule.observe(now, &g);
                            if let Some(g) = newer(last.as_ref(), g) {
                                on_change(&g);
                                last = Some(g);
                            }
                        }
                        // A get is safe to repeat, so a garbled answer is just another try.
                        Err(e) if e.retryable || e.code == ErrorCode::BadResponse => {
                            schedule.observe_error(now, e.retry_after_ms)
                        }
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }

    /// The polling schedule's settings for this client's provider, with the caller's deadline.
    pub(super) fn poll_config(&self, deadline_ms: Option<u64>) -> PollConfig {
        let kind = self.provider.kind;
        let base = match self.options.typical_job_ms {
            Some(ms) => PollConfig::with_typical_job(kind, ms),
            None => PollConfig::for_provider(kind),
        };
        PollConfig {
            deadline_ms,
            ..base
        }
    }

    /// The caller's seed, or the next one from the client's own generator.
    pub(super) fn wait_seed(&self, opts: &WaitOptions) -> u64 {
        opts.seed
            .unwrap_or_else(|| (self.rng.borrow_mut().next_f64() * u64::MAX as f64) as u64)
    }

    /// Holds off until [`MIN_POLL_GAP_MS`] after the last answer. False when the deadline comes
    /// first (having slept until it).
    pub(super) async fn keep_gap(
        &self,
        last_answer: Option<u64>,
        deadline_ms: Option<u64>,
    ) -> bool {
        let Some(answered) = last_answer else {
            return true;
        };
        let now = self.timer.now_ms();
        let at = answered + MIN_POLL_GAP_MS;
        let deadline = deadline_ms.unwrap_or(u64::MAX);
        if at > now {
            self.sleep_until(at.min(deadline), now).await;
        }
        at <= deadline
    }

    pub(super) async fn sleep_until(&self, t: u64, now: u64) {
        self.timer.sleep(t.saturating_sub(now)).await
    }

    pub(super) fn timed_out(&self, id: &str, last: Option<&Generation>) -> Error {
        let state = last.map_or("not yet seen".to_string(), |g| g.state.to_string());
        Error::new(
            ErrorCode::Timeout,
            self.provider.kind,
            format!("generation {id} is still {state} at the deadline"),
        )
    }
}

/// No server answer can make a wait ask again sooner than this: not a 0 s Retry-After, not a
/// long-poll that a proxy answers at once.
pub const MIN_POLL_GAP_MS: u64 = 500;

/// When the job was created, by the provider's clock.
fn created_ms(g: &Generation) -> Option<u64> {
    crate::model::parse_rfc3339_ms(g.created_at.as_deref()?)
}

/// `g` if it moves the generation on (a new state, or new progress); stale answers are dropped.
pub(super) fn newer(last: Option<&Generation>, g: Generation) -> Option<Generation> {
    match last {
        None => Some(g),
        Some(l) if !l.state.can_move_to(g.state) => None,
        Some(l)
            if l.state == g.state
                && l.progress == g.progress
                && l.estimate_wait_seconds == g.estimate_wait_seconds =>
        {
            None
        }
        Some(_) => Some(g),
    }
}

fn finished(last: Option<Generation>) -> Result<Generation, Error> {
    match last {
        Some(g) if g.state == State::Failed => Err(Error::failed(g)),
        Some(g) => Ok(g),
        None => Err(Error::new(
            ErrorCode::BadResponse,
            Default::default(),
            "the wait ended before any answer",
        )),
    }
}
