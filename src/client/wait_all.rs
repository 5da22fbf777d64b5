//! Waiting for several generations: one schedule per id; where the protocol has a batch get,
//! the ids due are fetched together, with the ids due next filling the batch.

use super::wait::newer;
use super::{race, Client, Either, Timer, Transport, WaitOptions};
use crate::error::{Error, ErrorCode};
use crate::model::{Generation, State};
use crate::poll::{Action, Schedule};
use crate::provider::GetManyCall;

struct Pending<'a> {
    id: &'a str,
    schedule: Schedule,
    last: Option<Generation>,
}

impl<T: Transport, C: Timer> Client<T, C> {
    /// Resolves when every id is completed, in the order of `ids`; the first failed generation
    /// rejects with `generation_failed`, and the deadline with `timeout`. `on_change` sees every
    /// new state or progress of each id.
    ///
    /// Long-poll protocols (aimlapi, the gateway) wait for each id in turn: the server holds
    /// each get, and an id that finished meanwhile answers at once. Elsewhere every id keeps
    /// its own schedule; where the protocol has a batch get, the ids due go in one, filled up
    /// with the ids due next (their answers move their schedules on too).
    pub async fn wait_all(
        &self,
        ids: &[String],
        opts: WaitOptions,
        on_change: &mut dyn FnMut(&Generation),
    ) -> Result<Vec<Generation>, Error> {
        if self.provider.capabilities().long_poll || ids.len() < 2 {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                out.push(self.wait(id, opts.clone(), on_change).await?);
            }
            return Ok(out);
        }
        let now = self.timer.now_ms();
        let config = self.poll_config(opts.deadline_ms);
        let batch_max = self
            .provider
            .capabilities()
            .batch
            .map_or(0, |(_, max)| max.max(1));
        let seed = self.wait_seed(&opts);
        let mut waits: Vec<Pending> = Vec::new();
        for id in ids {
            if waits.iter().all(|w| w.id != id.as_str()) {
                let seed = seed.wrapping_add(waits.len() as u64);
                waits.push(Pending {
                    id,
                    schedule: self.schedule_for(id, config.clone(), now, now, seed),
                    last: None,
                });
            }
        }
        let mut last_answer: Option<u64> = None;
        loop {
            let now = self.timer.now_ms();
            let mut due: Vec<String> = Vec::new();
            let mut waiting: Vec<(u64, String)> = Vec::new();
            for w in &mut waits {
                match w.schedule.poll(now) {
                    Action::Done => {
                        self.learn(w.id, &w.schedule);
                        if let Some(g) = w.last.as_ref().filter(|g| g.state == State::Failed) {
                            return Err(Error::failed(g.clone()));
                        }
                    }
                    Action::DeadlineExceeded => return Err(self.timed_out_all(&waits)),
                    Action::FetchNow => due.push(w.id.to_string()),
                    Action::WaitUntil(t) => waiting.push((t, w.id.to_string())),
                }
            }
            if due.is_empty() {
                let Some(wake) = waiting.iter().map(|(t, _)| *t).min() else {
                    return ids.iter().map(|id| self.result_of(&waits, id)).collect();
                };
                self.sleep_until(wake.min(opts.deadline_ms.unwrap_or(wake)), now)
                    .await;
                continue;
            }
            if !self.keep_gap(last_answer, opts.deadline_ms).await {
                return Err(self.timed_out_all(&waits));
            }
            let now = self.timer.now_ms();
            // A batch costs one request however full: the ids due soonest after these ride along.
            let room = match batch_max {
                0 => 0,
                max => due.len().div_ceil(max) * max - due.len(),
            };
            waiting.sort();
            let extras: Vec<String> = waiting.into_iter().take(room).map(|(_, id)| id).collect();
            let answers = match opts.deadline_ms {
                Some(d) => {
                    let fetch = self.fetch_due(&due, &extras);
                    match race(fetch, self.sleep_until(d, now)).await {
                        Either::Left(answers) => answers,
                        Either::Right(()) => return Err(self.timed_out_all(&waits)),
                    }
                }
                None => self.fetch_due(&due, &extras).await,
            };
            let now = self.timer.now_ms();
            last_answer = Some(now);
            for (id, answer) in answers {
                let Some(w) = waits.iter_mut().find(|w| w.id == id) else {
                    continue;
                };
                match answer {
                    Ok(g) => {
                        w.schedule.observe(now, &g);
                        if let Some(g) = newer(w.last.as_ref(), g) {
                            on_change(&g);
                            w.last = Some(g);
                        }
                    }
                    // Gets are safe to repeat: transient and garbled answers are another try.
                    Err(e) if e.retryable || e.code == ErrorCode::BadResponse => {
                        w.schedule.observe_error(now, e.retry_after_ms)
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// An answer for every due id, and the generations of `extras` that a batch answer carried
    /// (nothing for an extra whose batch failed: it was not due). A due id missing from a batch
    /// answer is asked for alone, so that an unknown id ends as the protocol's own `not_found`.
    async fn fetch_due(
        &self,
        due: &[String],
        extras: &[String],
    ) -> Vec<(String, Result<Generation, Error>)> {
        let all: Vec<String> = due.iter().chain(extras).cloned().collect();
        let mut out = Vec::with_capacity(all.len());
        for call in self.provider.get_many(&all) {
            match call {
                GetManyCall::Single { id, request } => {
                    let answer = self.fetch_one(request).await;
                    out.push((id, answer));
                }
                GetManyCall::Batch { ids, request } => {
                    let listed = self.fetch_batch(request).await;
                    for id in ids {
                        let is_due = due.contains(&id);
                        let answer = match &listed {
                            Ok(gs) => match gs.iter().find(|g| g.id == id) {
                                Some(g) => Ok(g.clone()),
                                None if is_due => {
                                    self.fetch_one(self.provider.get(&id, None)).await
                                }
                                None => continue,
                            },
                            Err(e) if is_due => Err(e.clone()),
                            Err(_) => continue,
                        };
                        out.push((id, answer));
                    }
                }
            }
        }
        out
    }

    fn result_of(&self, waits: &[Pending], id: &str) -> Result<Generation, Error> {
        waits
            .iter()
            .find(|w| w.id == id)
            .and_then(|w| w.last.clone())
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::BadResponse,
                    self.provider.kind,
                    format!("the wait for {id} ended before any answer"),
                )
            })
    }

    fn timed_out_all(&self, waits: &[Pending]) -> Error {
        let open: Vec<String> = waits
            .iter()
            .filter(|w| !w.last.as_ref().is_some_and(|g| g.state.is_terminal()))
            .map(|w| {
                let state = w
                    .last
                    .as_ref()
                    .map_or("not yet seen".into(), |g| g.state.to_string());
                format!("{} ({state})", w.id)
            })
            .collect();
        Error::new(
            ErrorCode::Timeout,
            self.provider.kind,
            format!("still unfinished at the deadline: {}", open.join(", ")),
        )
    }
}
