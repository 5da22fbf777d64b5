//! A schedule kept between wakes, as compact text: the gateway's alarm stores it with each
//! running job, so a job's plan, its last answers and its progress samples outlive the wake
//! (rebuilt from scratch, an APIFRAME job forgot its previous progress and was asked every
//! 3 paces whatever its rate).
//!
//! The form: `s1;` then, separated by `;`, the submit time, the next check, the checks made,
//! the last state (`q`, `d`, `c`, `f` or `-`), the age of the last "not finished" answer, the
//! completed span (`from-to` or `-`), the first progress sample (`time,millionths` or `-`),
//! the jitter generator's state, and the plan (`early,quiet,pace,backoff_from,factor in
//! thousandths,max_interval,min_wait,anchored`, `-` for none). Whole numbers only: the browser
//! build carries no float printing. The settings ([`PollConfig`]) are not kept: they come from
//! the provider and the gateway's configuration, the same on every wake.

use super::{Plan, PollConfig, Rng, Schedule};
use crate::model::State;

const VERSION: &str = "s1";

impl Schedule {
    /// The state to keep until the next wake (see the module documentation). A request in
    /// flight is not kept: the answer is what gets saved.
    pub fn save(&self) -> String {
        let opt = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
        let last = match self.last {
            None => "-",
            Some(State::Queued) => "q",
            Some(State::Dreaming) => "d",
            Some(State::Completed) => "c",
            Some(State::Failed) => "f",
        };
        let completed = self
            .completed
            .map_or("-".to_string(), |(a, b)| format!("{a}-{b}"));
        let progress = self.progress_start.map_or("-".to_string(), |(t, p)| {
            format!("{t},{}", (p * 1e6).round() as u64)
        });
        let p = &self.plan;
        let backoff = (p.backoff_from_ms != u64::MAX).then_some(p.backoff_from_ms);
        format!(
            "{VERSION};{};{};{};{last};{};{completed};{progress};{};{},{},{},{},{},{},{},{}",
            self.submitted_at,
            self.next_at,
            self.checks,
            self.unfinished_at,
            self.rng.state(),
            opt(p.early_check_ms),
            p.quiet_ms,
            p.pace_ms,
            opt(backoff),
            (p.backoff_factor * 1000.0).round() as u64,
            p.max_interval_ms,
            p.min_wait_ms,
            u8::from(p.anchored),
        )
    }

    /// A schedule saved by [`Schedule::save`], going on under `config`.
    pub fn restore(config: PollConfig, text: &str) -> Result<Schedule, String> {
        let bad = |what: &str| format!("saved schedule: bad {what} in `{text}`");
        let parts: Vec<&str> = text.trim().split(';').collect();
        let [version, submitted, next, checks, last, unfinished, completed, progress, rng, plan] =
            parts[..]
        else {
            return Err(bad("number of fields"));
        };
        if version != VERSION {
            return Err(bad("version"));
        }
        let num = |s: &str, what: &str| s.parse::<u64>().map_err(|_| bad(what));
        let opt = |s: &str, what: &str| match s {
            "-" => Ok(None),
            s => num(s, what).map(Some),
        };
        let last = match last {
            "-" => None,
            "q" => Some(State::Queued),
            "d" => Some(State::Dreaming),
            "c" => Some(State::Completed),
            "f" => Some(State::Failed),
            _ => return Err(bad("state")),
        };
        let pair = |s: &str, sep: char, what: &str| -> Result<Option<(u64, u64)>, String> {
            if s == "-" {
                return Ok(None);
            }
            let (a, b) = s.split_once(sep).ok_or_else(|| bad(what))?;
            Ok(Some((num(a, what)?, num(b, what)?)))
        };
        let plan: Vec<&str> = plan.split(',').collect();
        let [early, quiet, pace, backoff, factor, max_interval, min_wait, anchored] = plan[..]
        else {
            return Err(bad("plan"));
        };
        let plan = Plan {
            early_check_ms: opt(early, "plan")?,
            quiet_ms: num(quiet, "plan")?,
            pace_ms: num(pace, "plan")?.max(1),
            backoff_from_ms: opt(backoff, "plan")?.unwrap_or(u64::MAX),
            backoff_factor: num(factor, "plan")? as f64 / 1000.0,
            max_interval_ms: num(max_interval, "plan")?,
            min_wait_ms: num(min_wait, "plan")?,
            anchored: match anchored {
                "0" => false,
                "1" => true,
                _ => return Err(bad("plan")),
            },
        };
        Ok(Schedule {
            config,
            plan,
            submitted_at: num(submitted, "submit time")?,
            next_at: num(next, "next check")?,
            checks: num(checks, "checks")?.min(u32::MAX as u64) as u32,
            last,
            unfinished_at: num(unfinished, "age")?,
            completed: pair(completed, '-', "completed span")?,
            progress_start: pair(progress, ',', "progress")?
                .map(|(t, p)| (t, (p as f64 / 1e6).min(1.0))),
            in_flight: false,
            rng: Rng::new(num(rng, "generator")?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Generation;
    use crate::poll::{Action, JobKey, JobLengths};
    use crate::provider::ProviderKind;
    use proptest::prelude::*;

    fn answer(state: State, progress: Option<f64>) -> Generation {
        let mut g = Generation::new("t", ProviderKind::Apiframe, state);
        g.progress = progress;
        g
    }

    /// Drives `s` to `until` ms, saving and restoring it after every answer when `keep`;
    /// returns the times of the checks.
    fn drive(
        mut s: Schedule,
        keep: bool,
        until: u64,
        progress: impl Fn(u64) -> Option<f64>,
    ) -> Vec<u64> {
        let config = PollConfig::for_provider(ProviderKind::Apiframe);
        let mut now = 0;
        let mut checks = Vec::new();
        while now < until {
            match s.poll(now) {
                Action::FetchNow => {
                    checks.push(now);
                    s.observe(now, &answer(State::Dreaming, progress(now)));
                    if keep {
                        s = Schedule::restore(config.clone(), &s.save()).unwrap();
                    }
                }
                Action::WaitUntil(t) => now = t,
                other => panic!("{other:?}"),
            }
        }
        checks
    }

    #[test]
    fn a_restored_schedule_goes_on_exactly_as_the_one_saved() {
        let config = PollConfig::for_provider(ProviderKind::Apiframe);
        let progress = |t: u64| Some((t as f64 / 200_000.0).min(0.99));
        let kept = drive(
            Schedule::new(config.clone(), 0, 0, 7),
            true,
            150_000,
            progress,
        );
        let whole = drive(Schedule::new(config, 0, 0, 7), false, 150_000, progress);
        assert_eq!(kept, whole);
        // With the progress rate known, it sleeps through most of the remaining time.
        assert!(kept.len() < 15, "{kept:?}");
    }

    #[test]
    fn a_learned_plan_with_back_off_survives_the_text_form() {
        let mut model = JobLengths::new();
        let key = JobKey::new(ProviderKind::Luma, Some("ray-2"), None, None, false);
        for i in 0..100u64 {
            let d = 20_000 + (i * 7_919) % 40_000;
            model.record(&key, d - 2_000, d);
        }
        let config = PollConfig::for_provider(ProviderKind::Luma);
        let plan = model.plan(&key, &config);
        let mut s = Schedule::planned(config.clone(), plan, 5, 5, 3);
        s.observe(9_000, &answer(State::Queued, None));
        let back = Schedule::restore(config, &s.save()).unwrap();
        assert_eq!(back.plan(), s.plan());
        assert_eq!(back.save(), s.save());
    }

    #[test]
    fn bad_text_is_refused_with_what_is_wrong() {
        let config = PollConfig::for_provider(ProviderKind::Luma);
        for bad in [
            "",
            "s2;0",
            "s1;0;0;0;x;0;-;-;1;-,1,1,-,1000,1,1,1",
            "s1;0;0;0;q;0;-;-;1;-,1,1",
        ] {
            assert!(Schedule::restore(config.clone(), bad).is_err(), "{bad}");
        }
    }

    proptest! {
        /// Whatever it has seen, a schedule's text form gives back the same schedule.
        #[test]
        fn save_restore_save_is_the_identity(
            seed in any::<u64>(),
            answers in proptest::collection::vec((0u64..100_000, 0usize..4, proptest::option::of(0.0f64..1.0)), 0..12),
        ) {
            let config = PollConfig::for_provider(ProviderKind::Apiframe);
            let mut s = Schedule::new(config.clone(), 1_000, 1_000, seed);
            let mut now = 1_000;
            for (dt, state, progress) in answers {
                now += dt;
                let state = [State::Queued, State::Dreaming, State::Completed, State::Failed][state];
                s.observe(now, &answer(state, progress));
            }
            let text = s.save();
            let back = Schedule::restore(config, &text).unwrap();
            prop_assert_eq!(back.save(), text);
            let (mut a, mut b) = (s, back);
            prop_assert_eq!(a.poll(now), b.poll(now));
        }
    }
}
