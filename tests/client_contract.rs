//! The client's contract beyond the basics in tests/client.rs: the error code of every status
//! class and transport failure, Retry-After forms, backoff bounds, ambiguous creates, batch
//! splits, `wait_all` over batches, and cancel safety (a future dropped mid-await).

mod scripted;

use std::cell::RefCell;
use std::collections::HashMap;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Waker};

use scripted::{block_on, fail, ok, Answer, Clock, Script};

use luma_extend::client::{Client, ClientOptions, Transport, TransportErrorKind, WaitOptions};
use luma_extend::provider::{HttpRequest, HttpResponse};
use luma_extend::{ErrorCode, ExtendRequest, GenerateRequest, Provider, ProviderKind, State};
use serde_json::{json, Value};

fn gen(id: &str, state: &str) -> Answer {
    ok(200, json!({ "id": id, "state": state }))
}

const ID: &str = "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9";

fn script(answers: Vec<Answer>) -> Script {
    let s = Script::default();
    s.answers.borrow_mut().extend(answers);
    s
}

fn client<T: Transport>(
    kind: ProviderKind,
    transport: T,
    c: &Clock,
    max_retries: u32,
) -> Client<T, &Clock> {
    Client::new(
        Provider::new(kind, "k", None),
        transport,
        c,
        ClientOptions {
            max_retries,
            seed: 7,
            typical_job_ms: None,
        },
    )
}

fn prompt() -> GenerateRequest {
    GenerateRequest {
        prompt: Some("A jellyfish in the ocean".into()),
        ..Default::default()
    }
}

#[test]
fn every_status_class_has_its_code() {
    use ErrorCode::*;
    for (status, code, retryable) in [
        (400, InvalidRequest, false),
        (401, Unauthorized, false),
        (403, Unauthorized, false),
        (404, NotFound, false),
        (410, NotFound, false),
        (422, InvalidRequest, false),
        (408, Timeout, true),
        (409, InvalidRequest, true),
        (429, RateLimited, true),
        (500, ServerError, true),
        (502, ServerError, true),
        (503, ServerError, true),
        (418, BadResponse, false),
    ] {
        let (s, c) = (
            script(vec![ok(status, json!({ "detail": "x" }))]),
            Clock::default(),
        );
        let e = block_on(client(ProviderKind::Luma, &s, &c, 0).get(ID)).unwrap_err();
        assert_eq!(
            (e.code, e.status, e.retryable),
            (code, Some(status), retryable),
            "{status}"
        );
        assert_eq!(e.code.as_str(), serde_json::to_value(e.code).unwrap());
    }
    let (s, c) = (
        script(vec![ok(200, json!("not a generation"))]),
        Clock::default(),
    );
    let e = block_on(client(ProviderKind::Luma, &s, &c, 0).get(ID)).unwrap_err();
    assert_eq!(e.code, ErrorCode::BadResponse);
}

#[test]
fn transport_failures_map_to_network_timeout_and_aborted() {
    for (kind, code, sends) in [
        (TransportErrorKind::Connect, ErrorCode::Network, 3),
        (TransportErrorKind::Other, ErrorCode::Network, 3),
        (TransportErrorKind::Timeout, ErrorCode::Timeout, 3),
        // An abort is the caller's decision: never retried.
        (TransportErrorKind::Aborted, ErrorCode::Aborted, 1),
    ] {
        let (s, c) = (
            script((0..3).map(|_| fail(kind)).collect()),
            Clock::default(),
        );
        let e = block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap_err();
        assert_eq!(e.code, code, "{kind:?}");
        assert_eq!(e.retryable, code != ErrorCode::Aborted, "{kind:?}");
        assert_eq!(s.sent.borrow().len(), sends, "{kind:?}");
    }
}

#[test]
fn the_last_attempt_keeps_its_status_and_retry_after() {
    let busy = || Ok(HttpResponse::new(429, "{}").with_header("Retry-After", "5"));
    let (s, c) = (script(vec![busy(), busy()]), Clock::default());
    let e = block_on(client(ProviderKind::Luma, &s, &c, 1).get(ID)).unwrap_err();
    assert_eq!(
        (e.code, e.status, e.retry_after_ms, e.retryable),
        (ErrorCode::RateLimited, Some(429), Some(5_000), true)
    );
    assert_eq!(*c.slept.borrow(), vec![5_000]);
}

#[test]
fn retry_after_in_milliseconds_and_as_an_http_date() {
    let (s, c) = (
        script(vec![
            Ok(HttpResponse::new(503, "{}").with_header("retry-after-ms", "250")),
            // 1_700_000_005_000 ms: five seconds after the start, 4.75 s after the first sleep.
            Ok(HttpResponse::new(503, "{}")
                .with_header("Retry-After", "Tue, 14 Nov 2023 22:13:25 GMT")),
            gen(ID, "queued"),
        ]),
        Clock::default(),
    );
    c.now.set(1_700_000_000_000);
    block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap();
    assert_eq!(*c.slept.borrow(), vec![250, 4_750]);
    let (s, c) = (
        script(vec![
            Ok(HttpResponse::new(429, "{}").with_header("retry-after-ms", "600000")),
            gen(ID, "queued"),
        ]),
        Clock::default(),
    );
    block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap();
    assert_eq!(*c.slept.borrow(), vec![60_000], "capped at 60 s");
}

#[test]
fn backoff_starts_at_half_a_second_and_doubles() {
    for seed in 0..20 {
        let (s, c) = (
            script(vec![
                ok(503, json!({})),
                ok(503, json!({})),
                gen(ID, "queued"),
            ]),
            Clock::default(),
        );
        let cl = Client::new(
            Provider::new(ProviderKind::Luma, "k", None),
            &s,
            &c,
            ClientOptions {
                max_retries: 2,
                seed,
                typical_job_ms: None,
            },
        );
        block_on(cl.get(ID)).unwrap();
        let slept = c.slept.borrow();
        assert!((375..=500).contains(&slept[0]), "{slept:?}");
        assert!((750..=1_000).contains(&slept[1]), "{slept:?}");
    }
}

#[test]
fn an_ambiguous_create_failure_is_not_retryable_and_says_why() {
    for kind in [ProviderKind::Gptge, ProviderKind::Apiframe] {
        for first in [ok(500, json!({})), ok(504, json!({})), ok(408, json!({}))] {
            let (s, c) = (script(vec![first]), Clock::default());
            let e = block_on(client(kind, &s, &c, 2).generate(&prompt())).unwrap_err();
            assert!(!e.retryable, "{e}");
            assert!(e.message.contains("may have reached the server"), "{e}");
            assert_eq!(s.sent.borrow().len(), 1, "exactly one create sent");
        }
    }
    // Provably unsent, or refused with 429: retried, and still worth trying later.
    let (s, c) = (
        script((0..3).map(|_| fail(TransportErrorKind::Connect)).collect()),
        Clock::default(),
    );
    let e = block_on(client(ProviderKind::Gptge, &s, &c, 2).generate(&prompt())).unwrap_err();
    assert_eq!((e.code, e.retryable), (ErrorCode::Network, true));
    assert!(!e.message.contains("may have reached"));
    assert_eq!(s.sent.borrow().len(), 3);
    let (s, c) = (
        script((0..3).map(|_| ok(429, json!({}))).collect()),
        Clock::default(),
    );
    let e = block_on(client(ProviderKind::Gptge, &s, &c, 2).generate(&prompt())).unwrap_err();
    assert_eq!((e.code, e.retryable), (ErrorCode::RateLimited, true));
    assert_eq!(s.sent.borrow().len(), 3);
}

#[test]
fn max_retries_zero_sends_a_create_once() {
    let (s, c) = (
        script(vec![fail(TransportErrorKind::Connect)]),
        Clock::default(),
    );
    let e = block_on(client(ProviderKind::Gptge, &s, &c, 0).generate(&prompt())).unwrap_err();
    assert_eq!(e.code, ErrorCode::Network);
    assert_eq!(s.sent.borrow().len(), 1);
    assert!(c.slept.borrow().is_empty());
}

#[test]
fn extend_is_refused_for_a_failed_parent_and_sent_for_a_completed_one() {
    let failed = ok(
        200,
        json!({ "id": ID, "state": "failed", "failure_reason": "Job failed" }),
    );
    let (s, c) = (script(vec![failed]), Clock::default());
    let cl = client(ProviderKind::Luma, &s, &c, 2);
    block_on(cl.get(ID)).unwrap();
    let req = ExtendRequest {
        generation_id: ID.into(),
        prompt: "more of it".into(),
        ..Default::default()
    };
    let e = block_on(cl.extend(&req)).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(
        (e.issues[0].field.as_str(), e.issues[0].rule.as_str()),
        ("generationId", "parent_state")
    );
    assert_eq!(s.sent.borrow().len(), 1);

    let other = "11111111-1111-4111-8111-111111111111";
    let (s, c) = (
        script(vec![gen(other, "completed"), gen(ID, "queued")]),
        Clock::default(),
    );
    let cl = client(ProviderKind::Luma, &s, &c, 2);
    block_on(cl.get(other)).unwrap();
    let req = ExtendRequest {
        generation_id: other.into(),
        ..req
    };
    assert_eq!(block_on(cl.extend(&req)).unwrap().id, ID);
    assert_eq!(s.sent.borrow().len(), 2);

    // Seen queued (at its create), completed since without this client looking: it is sent.
    let child = "22222222-2222-4222-8222-222222222222";
    let (s, c) = (
        script(vec![gen(other, "queued"), gen(child, "queued")]),
        Clock::default(),
    );
    let cl = client(ProviderKind::Luma, &s, &c, 2);
    block_on(cl.get(other)).unwrap();
    assert_eq!(block_on(cl.extend(&req)).unwrap().id, child);
    assert_eq!(s.sent.borrow().len(), 2);
}

#[test]
fn get_many_splits_25_ids_into_batches_of_20_and_5() {
    let ids: Vec<String> = (0..25).map(|i| format!("task-{i}")).collect();
    let tasks = |r: std::ops::Range<usize>| {
        let t: Vec<Value> = ids[r]
            .iter()
            .map(|id| json!({ "task_id": id, "status": "pending" }))
            .collect();
        ok(200, json!({ "tasks": t }))
    };
    let (s, c) = (script(vec![tasks(0..20), tasks(20..25)]), Clock::default());
    let got = block_on(client(ProviderKind::Apiframe, &s, &c, 2).get_many(&ids)).unwrap();
    assert_eq!(got.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), ids);
    let sent = s.sent.borrow();
    let sizes: Vec<usize> = sent
        .iter()
        .map(|r| {
            r.body.as_ref().unwrap()["task_ids"]
                .as_array()
                .unwrap()
                .len()
        })
        .collect();
    assert_eq!(sizes, [20, 5]);
}

/// APIFRAME as a server: each task finishes (or fails) at its own time on the shared clock.
struct World<'a> {
    clock: &'a Clock,
    ends: HashMap<String, (u64, bool)>,
    sent: RefCell<Vec<HttpRequest>>,
}

impl World<'_> {
    fn task(&self, id: &str) -> Value {
        let now = self.clock.now.get();
        match self.ends.get(id) {
            None => json!({ "task_id": id, "status": "failed", "message": "unknown task" }),
            Some((end, true)) if now >= *end => {
                json!({ "task_id": id, "status": "failed", "message": "Job failed" })
            }
            Some((end, false)) if now >= *end => {
                json!({ "task_id": id, "video_url": format!("https://v/{id}.mp4") })
            }
            Some((end, _)) => {
                let pct = now * 100 / end;
                json!({ "task_id": id, "status": "processing", "percentage": pct.to_string() })
            }
        }
    }
}

impl Transport for &World<'_> {
    async fn send(&self, request: HttpRequest) -> Answer {
        let body = serde_json::to_value(&request.body).unwrap_or_default();
        let answer = if request.url.ends_with("/fetch-many") {
            let ids = body["task_ids"].as_array().cloned().unwrap_or_default();
            let tasks: Vec<Value> = ids
                .iter()
                .filter_map(Value::as_str)
                .map(|id| self.task(id))
                .collect();
            json!({ "tasks": tasks })
        } else {
            self.task(body["task_id"].as_str().unwrap_or_default())
        };
        self.sent.borrow_mut().push(request);
        ok(200, answer)
    }
}

fn world<'a>(clock: &'a Clock, ends: &[(&str, u64, bool)]) -> World<'a> {
    World {
        clock,
        ends: ends
            .iter()
            .map(|(id, end, failed)| (id.to_string(), (*end, *failed)))
            .collect(),
        sent: RefCell::default(),
    }
}

fn strings(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn wait_all_batches_the_ids_that_are_due_together() {
    let c = Clock::default();
    let w = world(
        &c,
        &[
            ("a", 30_000, false),
            ("b", 45_000, false),
            ("c", 70_000, false),
        ],
    );
    let mut seen: HashMap<String, Vec<State>> = HashMap::new();
    let got = block_on(client(ProviderKind::Apiframe, &w, &c, 2).wait_all(
        &strings(&["c", "a", "b", "a"]),
        WaitOptions::default(),
        &mut |g| seen.entry(g.id.clone()).or_default().push(g.state),
    ))
    .unwrap();
    let order: Vec<&str> = got.iter().map(|g| g.id.as_str()).collect();
    assert_eq!(
        order,
        ["c", "a", "b", "a"],
        "the caller's order, duplicates kept"
    );
    assert!(got.iter().all(|g| g.state == State::Completed));
    let sent = w.sent.borrow();
    assert!(
        sent[0].url.ends_with("/fetch-many"),
        "the first check asks for all at once"
    );
    assert_eq!(
        serde_json::to_value(&sent[0].body).unwrap()["task_ids"],
        json!(["c", "a", "b"])
    );
    // While two or more are unfinished, every request is a batch; only the last goes alone.
    let singles: Vec<Value> = sent
        .iter()
        .filter(|r| r.url.ends_with("/fetch"))
        .map(|r| serde_json::to_value(&r.body).unwrap()["task_id"].clone())
        .collect();
    assert!(singles.iter().all(|id| *id == json!("c")), "{singles:?}");
    assert!(sent.len() <= 12, "{} requests", sent.len());
    let end = c.now.get();
    assert!(
        (70_000..85_000).contains(&end),
        "done soon after the last: {end}"
    );
    for (id, states) in &seen {
        assert_eq!(states.last(), Some(&State::Completed), "{id}");
        assert_eq!(
            states.iter().filter(|s| **s == State::Completed).count(),
            1,
            "{id}: {states:?}"
        );
    }
}

#[test]
fn wait_all_rejects_on_the_first_failure() {
    let c = Clock::default();
    let w = world(&c, &[("a", 60_000, false), ("b", 20_000, true)]);
    let e = block_on(client(ProviderKind::Apiframe, &w, &c, 2).wait_all(
        &strings(&["a", "b"]),
        WaitOptions::default(),
        &mut |_| {},
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::GenerationFailed);
    let g = e.generation.unwrap();
    assert_eq!(
        (g.id.as_str(), g.failure_reason.as_deref()),
        ("b", Some("Job failed"))
    );
    assert!(c.now.get() < 60_000, "does not wait for the others");
}

#[test]
fn wait_all_times_out_at_the_deadline_naming_the_unfinished() {
    let c = Clock::default();
    let w = world(&c, &[("a", 5_000, false), ("b", 90_000, false)]);
    let e = block_on(client(ProviderKind::Apiframe, &w, &c, 2).wait_all(
        &strings(&["a", "b"]),
        WaitOptions {
            deadline_ms: Some(30_000),
            seed: Some(3),
        },
        &mut |_| {},
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
    assert!(
        e.message.contains("b (dreaming)") && !e.message.contains("a ("),
        "{e}"
    );
    assert!(c.now.get() <= 30_000);
}

#[test]
fn wait_all_on_a_long_poll_protocol_waits_for_each_in_turn() {
    let (a, b) = (ID, "11111111-1111-4111-8111-111111111111");
    let (s, c) = (
        script(vec![
            gen(a, "dreaming"),
            gen(a, "completed"),
            gen(b, "completed"),
        ]),
        Clock::default(),
    );
    let got = block_on(client(ProviderKind::Aimlapi, &s, &c, 2).wait_all(
        &strings(&[a, b]),
        WaitOptions::default(),
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(got[0].id, a);
    assert_eq!(got[1].id, b);
    let urls: Vec<String> = s.sent.borrow().iter().map(|r| r.url.clone()).collect();
    assert!(urls[0].contains(&format!("generation_id={a}")) && urls[0].contains("state=dreaming"));
    assert!(urls[1].contains("state=completed"));
    assert!(urls[2].contains(&format!("generation_id={b}")));
}

#[test]
fn a_future_dropped_mid_await_leaves_the_client_usable() {
    let (s, c) = (
        script(vec![
            ok(503, json!({})),
            gen(ID, "dreaming"),
            gen(ID, "completed"),
        ]),
        Clock::default(),
    );
    let cl = client(ProviderKind::Luma, &s, &c, 2);
    c.hang.set(true);
    {
        let mut f = pin!(cl.get(ID));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            f.as_mut().poll(&mut cx).is_pending(),
            "parked in the retry sleep"
        );
    }
    {
        let mut quiet = |_: &luma_extend::Generation| {};
        let mut f = pin!(cl.wait(ID, WaitOptions::default(), &mut quiet));
        let mut cx = Context::from_waker(Waker::noop());
        assert!(
            f.as_mut().poll(&mut cx).is_pending(),
            "parked before the first check"
        );
    }
    c.hang.set(false);
    assert_eq!(block_on(cl.get(ID)).unwrap().state, State::Dreaming);
    let g = block_on(cl.wait(ID, WaitOptions::default(), &mut |_| {})).unwrap();
    assert_eq!(g.state, State::Completed);
    assert_eq!(s.sent.borrow().len(), 3);
}
