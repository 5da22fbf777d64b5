//! The client learns its jobs' lengths and polls less once it knows them: a provider in
//! virtual time whose jobs take about a minute, a job per create.

mod scripted;

use std::cell::{Cell, RefCell};

use luma_extend::client::{Client, ClientOptions, Transport, WaitOptions};
use luma_extend::provider::{HttpRequest, HttpResponse, Method};
use luma_extend::{ErrorCode, GenerateRequest, Provider, ProviderKind};
use scripted::{block_on, Answer, Clock};
use serde_json::json;

/// Luma's API over jobs that complete `lengths[i]` ms after the i-th create.
struct Jobs<'a> {
    clock: &'a Clock,
    lengths: Vec<u64>,
    created: RefCell<Vec<u64>>,
    gets: Cell<u32>,
}

impl Transport for &Jobs<'_> {
    async fn send(&self, request: HttpRequest) -> Answer {
        let now = self.clock.now.get();
        let (i, state) = if request.method == Method::Post {
            self.created.borrow_mut().push(now);
            (self.created.borrow().len() - 1, "queued")
        } else {
            self.gets.set(self.gets.get() + 1);
            let i: usize = request.url.rsplit('-').next().unwrap().parse().unwrap();
            let done = now >= self.created.borrow()[i] + self.lengths[i];
            (i, if done { "completed" } else { "dreaming" })
        };
        let id = format!("0f3ea4aa-10e7-4dae-af0b-{i:012}");
        Ok(HttpResponse::new(
            200,
            json!({ "id": id, "state": state, "assets": { "video": (state == "completed").then_some("https://v/x.mp4") } }).to_string(),
        ))
    }
}

fn client<'a>(jobs: &'a Jobs<'a>) -> Client<&'a Jobs<'a>, &'a Clock> {
    let options = ClientOptions {
        max_retries: 0,
        seed: 1,
        typical_job_ms: None,
    };
    Client::new(
        Provider::new(ProviderKind::Luma, "k", None),
        jobs,
        jobs.clock,
        options,
    )
}

fn request() -> GenerateRequest {
    GenerateRequest {
        prompt: Some("A jellyfish in the ocean".into()),
        model: Some("ray-2".into()),
        resolution: Some("720p".into()),
        duration: Some("5s".into()),
        ..Default::default()
    }
}

/// Gets spent on each of `n` jobs, created and waited for one after the other.
fn run(c: &Client<&Jobs, &Clock>, jobs: &Jobs, n: usize) -> Vec<u32> {
    (0..n)
        .map(|_| {
            let before = jobs.gets.get();
            let g = block_on(c.generate(&request())).unwrap();
            block_on(c.wait(&g.id, WaitOptions::default(), &mut |_| {})).unwrap();
            jobs.gets.get() - before
        })
        .collect()
}

fn minute_jobs(clock: &Clock) -> Jobs<'_> {
    Jobs {
        clock,
        // 55..65 s, spread evenly.
        lengths: (0..100).map(|i| 55_000 + (i * 3_700) % 10_000).collect(),
        created: RefCell::default(),
        gets: Cell::new(0),
    }
}

#[test]
fn a_client_polls_less_once_it_knows_its_jobs_and_the_model_travels_as_text() {
    let clock = Clock::default();
    let jobs = minute_jobs(&clock);
    let c = client(&jobs);
    let spent = run(&c, &jobs, 40);
    assert!(spent[0] >= 18, "cold: a plain loop's gets: {spent:?}");
    let warm = spent[30..].iter().sum::<u32>() / 10;
    assert!(warm <= 8, "warm: quiet through most of a minute: {spent:?}");
    let text = c.export_poll_model();
    assert!(text.starts_with("lx1;luma/ray-2/720p/5s/g:"), "{text}");

    // A new client (a restarted server, a reloaded page) starts warm from the text.
    let clock = Clock::default();
    let fresh = minute_jobs(&clock);
    let c = client(&fresh);
    c.import_poll_model(&text).unwrap();
    assert!(run(&c, &fresh, 1)[0] <= 8);
}

#[test]
fn a_bad_model_is_refused_by_name_and_a_stranger_job_teaches_nothing() {
    let clock = Clock::default();
    let jobs = minute_jobs(&clock);
    let c = client(&jobs);
    let e = c
        .import_poll_model("lx1;luma/ray-2/720p/5s/g:7=-1")
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(
        (e.issues[0].field.as_str(), e.issues[0].rule.as_str()),
        ("pollModel", "format")
    );
    assert!(e.message.contains("`7=-1`"), "{}", e.message);
    // A job made elsewhere has no known start: it is polled cold and not recorded.
    jobs.created.borrow_mut().push(0);
    block_on(c.wait(
        "0f3ea4aa-10e7-4dae-af0b-000000000000",
        WaitOptions::default(),
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(c.export_poll_model(), "lx1");
}
