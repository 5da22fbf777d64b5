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
fn first_check_is_soon_then_quiet_then_steady() {
    let mut s = schedule(ProviderKind::Luma, 1);
    assert_eq!(s.poll(0), Action::WaitUntil(3_000));
    let next = step(&mut s, 3_000, &gen(State::Queued));
    assert!(
        (47_000..=50_000).contains(&next),
        "quiet until plausible completion: {next}"
    );
    let after = step(&mut s, next, &gen(State::Dreaming));
    assert!(
        (2_800..=3_000).contains(&(after - next)),
        "then a 3-second pace: {}",
        after - next
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
        near - next <= 3_000,
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
        (11_000..=12_000).contains(&t1),
        "a second sample soon: {t1}"
    );
    g.progress = Some(0.2);
    // 10 % in 10 s: 80 s to go; sleep through 70 % of it.
    let t2 = step(&mut s, 13_000, &g);
    assert!(
        (13_000 + 54_000..=13_000 + 58_000).contains(&t2),
        "{t1} {t2}"
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

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_sequence_of_answers_keeps_the_schedule_sane(
            seed in any::<u64>(),
            kind in prop::sample::select(ProviderKind::ALL.to_vec()),
            steps in prop::collection::vec((0u64..100_000, 0u8..6, prop::option::of(-10.0f64..1000.0), prop::option::of(-1.0f64..2.0)), 1..40),
        ) {
            let mut s = Schedule::new(PollConfig::for_provider(kind), 0, 0, seed);
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
                            prop_assert!(t >= now && t <= now + 3_600_000, "next {t} at {now}");
                        }
                    }
                    Action::WaitUntil(t) => prop_assert!(t > now || s.in_flight),
                    Action::Done | Action::DeadlineExceeded => {}
                }
            }
        }
    }
}
