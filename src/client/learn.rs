//! The client learns how long its jobs take: each job it created and saw complete is recorded
//! by kind (provider, model, resolution, duration, extension or not), and each wait plans from
//! the lengths of its kind. The model can be shared between clients and kept as text.

use std::cell::RefCell;
use std::rc::Rc;

use super::{Client, Timer, Transport};
use crate::error::Error;
use crate::model::Issue;
use crate::poll::{JobKey, JobLengths, PollConfig, Schedule};

/// Jobs this client created and has not yet seen complete, remembered at most.
const STARTED_MAX: usize = 1_000;

impl<T: Transport, C: Timer> Client<T, C> {
    /// Shares `lengths` with this client (and whoever else holds it): what one learns, all use.
    pub fn with_job_lengths(mut self, lengths: Rc<RefCell<JobLengths>>) -> Self {
        self.lengths = lengths;
        self
    }

    /// Shares what this client learns with others: the model, and the jobs created but not yet
    /// seen complete (so a wait in one client can time a job another created).
    pub fn with_learning(
        mut self,
        lengths: Rc<RefCell<JobLengths>>,
        started: Rc<RefCell<super::Started>>,
    ) -> Self {
        self.lengths = lengths;
        self.started = started;
        self
    }

    /// The job-length model this client learns into.
    pub fn job_lengths(&self) -> Rc<RefCell<JobLengths>> {
        self.lengths.clone()
    }

    /// The model as compact text, to keep (localStorage, KV, a file) and import later.
    pub fn export_poll_model(&self) -> String {
        self.lengths.borrow().encode()
    }

    /// Replaces the model with one exported before; `invalid_request` naming `pollModel` and
    /// what is wrong with it otherwise (the model is then left as it was).
    pub fn import_poll_model(&self, text: &str) -> Result<(), Error> {
        let lengths = JobLengths::decode(text).map_err(|message| {
            let issue = Issue {
                field: "pollModel".into(),
                rule: "format".into(),
                message,
            };
            Error::from_issues(self.provider.kind, vec![issue])
        })?;
        *self.lengths.borrow_mut() = lengths;
        Ok(())
    }

    /// Remembers that this client's create of `id` (a job of kind `key`) was answered now.
    pub(super) fn started(&self, id: &str, key: JobKey) {
        let mut started = self.started.borrow_mut();
        if started.len() >= STARTED_MAX {
            let oldest = started
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                started.remove(&oldest);
            }
        }
        started.insert(id.to_string(), (self.timer.now_ms(), key));
    }

    /// The schedule for waiting on `id`: planned from the lengths of its kind and counted from
    /// its create when this client made it; otherwise counted from `start`, cold (or from the
    /// typical length the options give), since its kind is unknown.
    pub(super) fn schedule_for(
        &self,
        id: &str,
        config: PollConfig,
        start: u64,
        now: u64,
        seed: u64,
    ) -> Schedule {
        match self.started.borrow().get(id) {
            Some((at, key)) => {
                let plan = self.lengths.borrow().plan(key, &config);
                Schedule::planned(config, plan, *at, now, seed)
            }
            None => Schedule::new(config, start, now, seed),
        }
    }

    /// Whether this client created `id` (and so knows when, and what kind of job it is).
    pub(super) fn created_here(&self, id: &str) -> bool {
        self.started.borrow().contains_key(id)
    }

    /// Records how long `id` took, if this client made it and `schedule` saw it complete.
    pub(super) fn learn(&self, id: &str, schedule: &Schedule) {
        let Some((from, to)) = schedule.completed_span() else {
            return;
        };
        if let Some((_, key)) = self.started.borrow_mut().remove(id) {
            self.lengths.borrow_mut().record(&key, from, to);
        }
    }
}
