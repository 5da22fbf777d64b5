use super::lengths::MAX_KINDS;
use super::*;
use crate::provider::ProviderKind;

fn gen(state: State) -> Generation {
    Generation::new("id", ProviderKind::Luma, state)
}

fn schedule(kind: ProviderKind, seed: u64) -> Schedule {
    Schedule::new(PollConfig::for_provider(kind), 0, 0, seed)
}

/// Sends a fetch at `now` and reports `g`; returns the time of the next fetch.
fn step(s: &mut Schedule, now: u64, g: &Generation) -> u64 {
    assert_eq!(s.poll(now), Action::FetchNow);
    s.observe(now, g);
    match s.poll(now) {
        Action::WaitUntil(t) => t,
        Action::FetchNow => now,
        other => panic!("{other:?}"),
    }
}

#[test]
fn cold_is_a_plain_loop_without_the_check_at_submit() {
    let mut s = schedule(ProviderKind::Luma, 1);
    assert_eq!(s.poll(0), Action::WaitUntil(3_000));
    // The answer comes back 100 ms later; the next get is a loop's 3 s after it.
    assert_eq!(s.poll(3_000), Action::FetchNow);
    s.observe(3_100, &gen(State::Queued));
    let Action::WaitUntil(next) = s.poll(3_100) else {
        panic!("waits")
    };
    assert!((3_100 + 2_910..=3_100 + 3_090).contains(&next), "{next}");
    assert_eq!(s.plan().backoff_from_ms, u64::MAX, "no back-off cold");
}

/// 200 jobs of about `median_ms` (±30 %, lognormal), as a client records them: each seen
/// complete by a check at most 3 s after it finished.
fn learned(median_ms: f64) -> JobLengths {
    let mut model = JobLengths::new();
    let mut rng = Rng::new(9);
    for _ in 0..200 {
        let d = lognormal(&mut rng, median_ms, 0.3);
        model.record(&key(), d.saturating_sub(3_000), d + 100);
    }
    model
}

fn lognormal(rng: &mut Rng, median_ms: f64, sigma: f64) -> u64 {
    let (u1, u2) = (rng.next_f64().max(1e-12), rng.next_f64());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (median_ms * (sigma * z).exp()) as u64
}

fn key() -> JobKey {
    JobKey::new(
        ProviderKind::Luma,
        Some("ray-2"),
        Some("720p"),
        Some("5s"),
        false,
    )
}

#[test]
fn a_learned_plan_checks_early_then_is_quiet_then_steady() {
    let config = PollConfig::for_provider(ProviderKind::Luma);
    let plan = learned(110_000.0).plan(&key(), &config);
    assert_eq!(plan.early_check_ms, Some(3_000), "{plan:?}");
    assert!((40_000..80_000).contains(&plan.quiet_ms), "{plan:?}");
    assert!((2_500..=3_200).contains(&plan.pace_ms), "{plan:?}");
    let mut s = Schedule::planned(config, plan, 0, 0, 1);
    assert_eq!(
        s.poll(0),
        Action::WaitUntil(3_000),
        "instant failures first"
    );
    let quiet_end = step(&mut s, 3_000, &gen(State::Queued));
    assert!(quiet_end.abs_diff(plan.quiet_ms) <= 100, "{quiet_end}");
    let next = step(&mut s, quiet_end, &gen(State::Dreaming));
    assert!((2_400..=3_300).contains(&(next - quiet_end)), "{next}");
}

#[test]
fn a_typical_length_seeds_the_plan_until_jobs_are_recorded() {
    let config = PollConfig::with_typical_job(ProviderKind::Luma, 110_000);
    let seeded = Schedule::new(config.clone(), 0, 0, 1);
    assert!(seeded.plan().quiet_ms > 20_000, "{:?}", seeded.plan());
    // Recorded jobs of 20 s outweigh a guess of 110 s.
    let plan = learned(20_000.0).plan(&key(), &config);
    assert!(plan.quiet_ms < 15_000, "{plan:?}");
    // A short typical job shrinks the pace with it.
    let short = PollConfig::with_typical_job(ProviderKind::Luma, 4_000);
    assert!(Schedule::new(short, 0, 0, 1).plan().pace_ms < 500);
}

#[test]
fn completed_span_brackets_the_completion() {
    let mut s = schedule(ProviderKind::Luma, 1);
    let t = step(&mut s, 3_000, &gen(State::Dreaming));
    assert_eq!(s.completed_span(), None);
    assert_eq!(s.poll(t), Action::FetchNow);
    s.observe(t + 100, &gen(State::Completed));
    assert_eq!(s.completed_span(), Some((3_000, t + 100)));
    let mut failed = schedule(ProviderKind::Luma, 1);
    assert_eq!(failed.poll(3_000), Action::FetchNow);
    failed.observe(3_000, &gen(State::Failed));
    assert_eq!(
        failed.completed_span(),
        None,
        "a failure says nothing of lengths"
    );
}

#[test]
fn never_two_fetches_in_flight() {
    let mut s = schedule(ProviderKind::Luma, 1);
    assert_eq!(s.poll(5_000), Action::FetchNow);
    assert!(matches!(s.poll(6_000), Action::WaitUntil(_)));
    assert!(matches!(s.poll(90_000), Action::WaitUntil(_)));
}

#[test]
fn terminal_states_are_done_and_stay_done() {
    for state in [State::Completed, State::Failed] {
        let mut s = schedule(ProviderKind::Luma, 1);
        assert_eq!(s.poll(3_000), Action::FetchNow);
        s.observe(3_000, &gen(state));
        assert_eq!(s.poll(3_001), Action::Done);
        s.observe(4_000, &gen(State::Dreaming));
        assert_eq!(s.poll(4_001), Action::Done);
    }
}

#[test]
fn deadline_is_hard() {
    let config = PollConfig {
        deadline_ms: Some(10_000),
        ..PollConfig::for_provider(ProviderKind::Luma)
    };
    let mut s = Schedule::new(config, 0, 0, 1);
    assert_eq!(s.poll(10_000), Action::DeadlineExceeded);
}

#[test]
fn long_poll_reissues_at_once() {
    let mut s = schedule(ProviderKind::Aimlapi, 1);
    assert_eq!(
        s.wait_for(),
        Some(State::Dreaming),
        "first the start of dreaming"
    );
    assert_eq!(s.poll(0), Action::FetchNow);
    s.observe(30_000, &gen(State::Dreaming));
    assert_eq!(s.wait_for(), Some(State::Completed), "then the end");
    assert_eq!(s.poll(30_000), Action::FetchNow);
    assert_eq!(schedule(ProviderKind::Luma, 1).wait_for(), None);
}

#[test]
fn an_estimate_sleeps_through_most_of_the_remaining_time() {
    let mut s = schedule(ProviderKind::Gptge, 1);
    let mut g = gen(State::Dreaming);
    g.estimate_wait_seconds = Some(100.0);
    let next = step(&mut s, 3_000, &g);
    assert!((3_000 + 67_000..=3_000 + 73_000).contains(&next), "{next}");
    g.estimate_wait_seconds = Some(2.0);
    let near = step(&mut s, next, &g);
    assert!(
        near - next <= 3_090,
        "near the end, the steady pace: {}",
        near - next
    );
}

#[test]
fn a_stalled_or_wild_estimate_never_parks_the_wait() {
    let mut s = schedule(ProviderKind::Apiframe, 1);
    let mut g = gen(State::Dreaming);
    g.progress = Some(0.25);
    let t1 = step(&mut s, 3_000, &g);
    g.progress = Some(0.2500001);
    let t2 = step(&mut s, t1 + 90_000, &g);
    assert!(t2 - (t1 + 90_000) <= 110_000 * 103 / 100, "{}", t2 - t1);
    let mut s = schedule(ProviderKind::Gptge, 1);
    let mut g = gen(State::Dreaming);
    g.estimate_wait_seconds = Some(1e9);
    assert!(step(&mut s, 3_000, &g) <= 3_000 + 110_000 * 103 / 100);
}

#[test]
fn progress_rate_gives_an_estimate() {
    let mut s = schedule(ProviderKind::Apiframe, 1);
    let mut g = gen(State::Dreaming);
    g.progress = Some(0.1);
    let t1 = step(&mut s, 3_000, &g);
    assert!(
        (5_900..=6_100).contains(&t1),
        "a second sample at the pace, as without a hint: {t1}"
    );
    g.progress = Some(0.2);
    // 10 % in 3 s: 24 s to go at that rate; sleep through 70 % of it.
    let t2 = step(&mut s, t1, &g);
    let rest = 0.8 * (t1 - 3_000) as f64 / 0.1 * 0.7;
    assert!(
        (t2 - t1) as f64 >= rest * 0.97 && (t2 - t1) as f64 <= rest * 1.03 + 100.0,
        "{t1} {t2} {rest}"
    );
}

#[test]
fn errors_wait_for_retry_after_capped() {
    let mut s = schedule(ProviderKind::Luma, 1);
    assert_eq!(s.poll(3_000), Action::FetchNow);
    s.observe_error(3_000, Some(10_000));
    assert_eq!(s.poll(3_000), Action::WaitUntil(13_000));
    assert_eq!(s.poll(13_000), Action::FetchNow);
    s.observe_error(13_000, Some(3_600_000));
    assert_eq!(s.poll(13_000), Action::WaitUntil(73_000));
}

#[test]
fn jitter_is_deterministic_per_seed_and_differs_across_seeds() {
    let waits = |seed| {
        let mut s = schedule(ProviderKind::Luma, seed);
        let t = step(&mut s, 3_000, &gen(State::Dreaming));
        step(&mut s, t, &gen(State::Dreaming)) - t
    };
    assert_eq!(waits(7), waits(7));
    assert!(
        (1..20)
            .map(waits)
            .collect::<std::collections::HashSet<_>>()
            .len()
            > 1
    );
}

#[test]
fn retry_after_forms() {
    let h = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    assert_eq!(retry_after_ms(&h("Retry-After", "2"), 0), Some(2_000));
    assert_eq!(retry_after_ms(&h("retry-after", "1.5"), 0), Some(1_500));
    assert_eq!(retry_after_ms(&h("retry-after-ms", "120"), 0), Some(120));
    assert_eq!(
        retry_after_ms(
            &h("retry-after", "Tue, 14 Nov 2023 22:13:30 GMT"),
            1_700_000_000_000
        ),
        Some(10_000)
    );
    assert_eq!(
        retry_after_ms(
            &h("retry-after", "Tue, 14 Nov 2023 22:13:10 GMT"),
            1_700_000_000_000
        ),
        Some(0)
    );
    assert_eq!(retry_after_ms(&h("retry-after", "-3"), 0), None);
    assert_eq!(retry_after_ms(&h("retry-after", "soon"), 0), None);
    assert_eq!(retry_after_ms(&[], 0), None);
}

#[test]
fn the_text_form_round_trips_and_says_what_is_wrong() {
    let mut model = learned(30_000.0);
    let extend = JobKey::new(ProviderKind::Gptge, Some("ray 2/flash"), None, None, true);
    model.record(&extend, 50_000, 53_000);
    let text = model.encode();
    assert!(text.starts_with("lx1;"), "{text}");
    assert!(
        text.contains("gptge/ray_2_flash///e:"),
        "cleaned key: {text}"
    );
    assert!(text.len() < 2_000, "compact: {} bytes", text.len());
    let back = JobLengths::decode(&text).unwrap();
    assert_eq!(back.encode(), text);
    let config = PollConfig::for_provider(ProviderKind::Luma);
    // Counts are kept to three decimals: the plan moves by a few ms at most.
    let (a, b) = (back.plan(&key(), &config), model.plan(&key(), &config));
    assert!(
        a.quiet_ms.abs_diff(b.quiet_ms) < 50 && a.pace_ms.abs_diff(b.pace_ms) < 50,
        "{a:?} {b:?}"
    );
    for (bad, says) in [
        ("", "must start with `lx1`"),
        ("lx1;luma/a/b/c/g", "expected kind:buckets"),
        ("lx1;lumen/a/b/c/g:1=1", "unknown provider `lumen`"),
        ("lx1;luma/a/b/c/x:1=1", "must be g or e"),
        ("lx1;luma/a b/b/c/g:1=1", "only A-Z a-z 0-9"),
        ("lx1;luma/a/b/c/g:999=1", "`999=1` is not index=count"),
        ("lx1;luma/a/b/c/g:1=-2", "`1=-2` is not index=count"),
        ("lx1;luma/a/b/c/g:1=NaN", "`1=NaN` is not index=count"),
        ("lx1;luma/a/b/c/g:1=1;luma/a/b/c/g:2=1", "appears twice"),
    ] {
        let e = JobLengths::decode(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn kinds_of_job_are_bounded_and_the_least_recent_goes() {
    let mut model = JobLengths::new();
    let kind = |i: usize| {
        JobKey::new(
            ProviderKind::Luma,
            Some(&format!("m{i}")),
            None,
            None,
            false,
        )
    };
    for i in 0..=MAX_KINDS {
        model.record(&kind(i), 1_000, 2_000);
    }
    assert_eq!(model.kinds(), MAX_KINDS);
    assert_eq!(model.lengths(&kind(0)).total(), 0.0, "the oldest went");
    assert!(model.lengths(&kind(MAX_KINDS)).total() > 0.0);
}

#[test]
fn a_plan_costs_what_it_does_on_a_known_distribution() {
    // Jobs spread evenly over 60..120 s: a loop every 3 s sees 5 % of them later than 2.85 s.
    let config = PollConfig::for_provider(ProviderKind::Luma);
    let mut h = Histogram::default();
    h.add_lognormal(85_000.0, 0.2, 1.0);
    let plan = Plan {
        anchored: true,
        ..Plan::cold(&config)
    };
    let mut late = 0;
    let mut checks = 0u64;
    for i in 0..1_000u64 {
        let d = 60_000 + i * 60;
        let mut t = plan.next_check(0);
        checks += 1;
        while t < d {
            t = plan.next_check(t + 1);
            checks += 1;
        }
        late += usize::from(t - d > 2_850);
    }
    assert!((40..=60).contains(&late), "{late}");
    assert!((checks / 1_000).abs_diff(30) <= 2, "{checks}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    /// A model of `n` jobs around `median_ms` with log-spread `sigma`, as recorded spans.
    fn model(n: usize, median_ms: f64, sigma: f64, seed: u64) -> JobLengths {
        let mut m = JobLengths::new();
        let mut rng = super::Rng::new(seed);
        for _ in 0..n {
            let d = lognormal(&mut rng, median_ms, sigma);
            let width = (rng.next_f64() * 30_000.0) as u64;
            m.record(&key(), d.saturating_sub(width), d + 50);
        }
        m
    }

    proptest! {
        #[test]
        fn any_sequence_of_answers_keeps_the_schedule_sane(
            seed in any::<u64>(),
            kind in prop::sample::select(ProviderKind::ALL.to_vec()),
            learned in prop::option::of((0usize..300, 1_000f64..2_000_000.0, 0.05f64..1.5)),
            typical in prop::option::of(1u64..10_000_000),
            made in prop::option::of((0u64..100_000_000, 0u64..10_000_000, 0u64..100_000_000, -1.0f64..3.0)),
            steps in prop::collection::vec((0u64..100_000, 0u8..6, prop::option::of(-10.0f64..1000.0), prop::option::of(-1.0f64..2.0)), 1..40),
        ) {
            let mut config = match typical {
                Some(t) => PollConfig::with_typical_job(kind, t),
                None => PollConfig::for_provider(kind),
            };
            config.long_poll = kind.capabilities().long_poll;
            let plan = match (learned, made) {
                (_, Some((quiet_ms, pace_ms, backoff_from_ms, backoff_factor))) => Plan {
                    early_check_ms: Some(config.first_check_ms),
                    quiet_ms,
                    pace_ms,
                    backoff_from_ms,
                    backoff_factor,
                    max_interval_ms: config.max_interval_ms,
                    min_wait_ms: 0,
                    anchored: true,
                },
                (Some((n, median, sigma)), None) => model(n, median, sigma, seed).plan(&key(), &config),
                (None, None) => Plan::from_lengths(&Histogram::default(), &config),
            };
            let floor = config.min_wait_ms;
            let mut s = Schedule::planned(config.clone(), plan, 0, 0, seed);
            let mut now = 0u64;
            for (dt, what, eta, progress) in steps {
                now += dt;
                match s.poll(now) {
                    Action::FetchNow => {
                        if what == 5 {
                            s.observe_error(now, eta.map(|e| e.abs() as u64));
                        } else {
                            let mut g = gen(State::ALL[usize::from(what % 4)]);
                            g.estimate_wait_seconds = eta;
                            g.progress = progress;
                            s.observe(now, &g);
                        }
                        if let Action::WaitUntil(t) = s.poll(now) {
                            // Never under its floor (long-poll asks again at once), never parked.
                            prop_assert!(config.long_poll || t >= now + floor, "next {t} at {now}");
                            prop_assert!(t <= now + MAX_QUIET_MS, "next {t} at {now}");
                        }
                    }
                    Action::WaitUntil(t) => prop_assert!(t > now || s.in_flight),
                    Action::Done | Action::DeadlineExceeded => {}
                }
            }
        }

        #[test]
        fn a_plan_checks_again_within_bounds_and_plans_are_deterministic(
            n in 0usize..300,
            median in 500f64..5_000_000.0,
            sigma in 0.02f64..2.0,
            seed in any::<u64>(),
            ages in prop::collection::vec(0u64..50_000_000, 1..20),
        ) {
            let config = PollConfig::for_provider(ProviderKind::Luma);
            let m = model(n, median, sigma, seed);
            let plan = m.plan(&key(), &config);
            prop_assert_eq!(plan, model(n, median, sigma, seed).plan(&key(), &config));
            prop_assert!(plan.pace_ms >= config.min_wait_ms);
            for age in ages {
                let next = plan.next_check(age);
                prop_assert!(next >= age);
                let bound = plan.quiet_ms.max(plan.max_interval_ms).max(plan.pace_ms);
                prop_assert!(next <= age + bound + 1, "{next} at {age}: {plan:?}");
            }
        }

        #[test]
        fn the_text_form_reads_back_and_never_panics(
            n in 0usize..50,
            median in 500f64..5_000_000.0,
            junk in ".{0,200}",
        ) {
            let m = model(n, median, 0.5, 1);
            let text = m.encode();
            prop_assert_eq!(JobLengths::decode(&text).map(|d| d.encode()), Ok(text));
            let _ = JobLengths::decode(&junk);
            let _ = JobLengths::decode(&format!("lx1;luma/a/b/c/g:{junk}"));
        }
    }
}

#[test]
fn a_few_short_jobs_recorded_stand_for_more_in_the_quiet_window() {
    // 200 jobs, six of them short (100–250 s), the rest 300 s to 30 min: a sample whose
    // lower tail is thinner than the distribution's can be. Four in the quiet window could
    // well be ten of 200: the window ends before the fifth shortest (the share margin alone
    // put it past all six).
    let mut model = JobLengths::new();
    let mut rng = Rng::new(5);
    let short = [100_000u64, 150_000, 180_000, 200_000, 230_000, 250_000];
    for i in 0..200 {
        let d = if i % 33 == 0 && i / 33 < 6 {
            short[i / 33]
        } else {
            300_000 + (rng.next_f64() * 1_500_000.0) as u64
        };
        model.record(&key(), d.saturating_sub(3_000), d + 100);
    }
    let plan = model.plan(&key(), &PollConfig::for_provider(ProviderKind::Luma));
    assert!(plan.anchored, "learned: {plan:?}");
    assert!(plan.quiet_ms < 230_000, "{plan:?}");
}

#[test]
fn a_heavy_tail_backs_off_before_its_two_longest_jobs() {
    // 200 jobs of 30 s and up with a Pareto tail (index 1.5): the longest run for tens of
    // minutes, and checking those every 3 s is most of the requests a plain pace would send.
    // A Poisson bound with four times its floor on the few jobs past the back-off kept this
    // sample from backing off at all.
    let mut model = JobLengths::new();
    let mut rng = Rng::new(11);
    let mut lengths = Vec::new();
    for _ in 0..200 {
        let d = (30_000.0 / rng.next_f64().max(1e-12).powf(1.0 / 1.5)) as u64;
        lengths.push(d);
        model.record(&key(), d.saturating_sub(3_000), d + 100);
    }
    lengths.sort_unstable();
    let plan = model.plan(&key(), &PollConfig::for_provider(ProviderKind::Luma));
    assert!(plan.backoff_factor > 1.0, "{plan:?}");
    assert!(
        plan.backoff_from_ms < lengths[198],
        "before the two longest: {plan:?}"
    );
}
