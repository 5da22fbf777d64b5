//! The client over a scripted in-process transport and a virtual clock: the retry rule, the
//! billable-create rule, waits, and batching. (Against real servers: tests/wasm.rs.)

mod scripted;

use scripted::{block_on, fail, ok, Answer, Clock, Script};

use luma_extend::client::{Client, ClientOptions, TransportErrorKind, WaitOptions};
use luma_extend::provider::HttpResponse;
use luma_extend::{ErrorCode, ExtendRequest, GenerateRequest, Provider, ProviderKind};
use serde_json::json;

fn gen(id: &str, state: &str) -> Answer {
    ok(
        200,
        json!({ "id": id, "state": state, "assets": { "video": if state == "completed" { json!("https://v/x.mp4") } else { json!(null) } } }),
    )
}

const ID: &str = "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9";

fn setup(answers: Vec<Answer>) -> (Script, Clock) {
    let s = Script::default();
    s.answers.borrow_mut().extend(answers);
    (s, Clock::default())
}

fn client<'a>(
    kind: ProviderKind,
    s: &'a Script,
    c: &'a Clock,
    max_retries: u32,
) -> Client<&'a Script, &'a Clock> {
    Client::new(
        Provider::new(kind, "k", None),
        s,
        c,
        ClientOptions {
            max_retries,
            seed: 1,
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
fn gets_are_retried_on_transient_failures_then_succeed() {
    for first in [
        ok(408, json!({})),
        ok(409, json!({})),
        ok(429, json!({})),
        ok(500, json!({})),
        ok(502, json!({})),
        ok(503, json!({})),
        fail(TransportErrorKind::Connect),
        fail(TransportErrorKind::Other),
        fail(TransportErrorKind::Timeout),
    ] {
        let (s, c) = setup(vec![first, gen(ID, "dreaming")]);
        let g = block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap();
        assert_eq!(g.id, ID);
        assert_eq!(s.sent.borrow().len(), 2);
        let slept = c.slept.borrow();
        assert!(
            slept.len() == 1 && (375..=500).contains(&slept[0]),
            "{slept:?}"
        );
    }
}

#[test]
fn client_errors_are_not_retried_and_carry_their_code() {
    for (status, code) in [
        (400, ErrorCode::InvalidRequest),
        (401, ErrorCode::Unauthorized),
        (404, ErrorCode::NotFound),
    ] {
        let (s, c) = setup(vec![ok(status, json!({ "detail": "nope" }))]);
        let e = block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap_err();
        assert_eq!(
            (e.code, e.status, e.message.as_str()),
            (code, Some(status), "nope")
        );
        assert_eq!(s.sent.borrow().len(), 1);
    }
}

#[test]
fn retries_stop_at_max_retries_with_the_last_error() {
    let (s, c) = setup(
        (0..3)
            .map(|_| ok(503, json!({ "detail": "busy" })))
            .collect(),
    );
    let e = block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap_err();
    assert_eq!((e.code, e.retryable), (ErrorCode::ServerError, true));
    assert_eq!(s.sent.borrow().len(), 3);
    assert_eq!(c.slept.borrow().len(), 2);
    let (s, c) = setup(vec![ok(503, json!({}))]);
    assert!(block_on(client(ProviderKind::Luma, &s, &c, 0).get(ID)).is_err());
    assert_eq!(s.sent.borrow().len(), 1);
}

#[test]
fn creates_are_retried_only_when_unsent_or_rate_limited() {
    let retry_after = Ok(HttpResponse::new(429, "{}").with_header("Retry-After", "2"));
    for first in [retry_after, fail(TransportErrorKind::Connect)] {
        let (s, c) = setup(vec![first, gen(ID, "queued")]);
        block_on(client(ProviderKind::Luma, &s, &c, 2).generate(&prompt())).unwrap();
        assert_eq!(s.sent.borrow().len(), 2);
    }
    let empty_list = || {
        ok(
            200,
            json!({ "generations": [], "count": 0, "has_more": false }),
        )
    };
    for first in [
        ok(500, json!({})),
        ok(503, json!({})),
        ok(408, json!({})),
        fail(TransportErrorKind::Other),
        fail(TransportErrorKind::Timeout),
    ] {
        let (s, c) = setup(vec![first, empty_list()]);
        let e = block_on(client(ProviderKind::Luma, &s, &c, 2).generate(&prompt())).unwrap_err();
        let posts = s
            .sent
            .borrow()
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count();
        assert_eq!(posts, 1, "exactly one create sent ({e})");
    }
    let (s, c) = setup(vec![fail(TransportErrorKind::Other), empty_list()]);
    let e = block_on(client(ProviderKind::Luma, &s, &c, 2).generate(&prompt())).unwrap_err();
    assert_eq!((e.code, e.retryable), (ErrorCode::Network, false));
    assert!(e.message.contains("may have reached the server"));
}

#[test]
fn a_create_whose_answer_was_lost_is_found_again_where_the_protocol_lists() {
    let sent = json!({ "model": "ray-2", "prompt": "A jellyfish in the ocean" });
    let other = json!({ "id": "11111111-1111-4111-8111-111111111111", "state": "queued", "request": { "model": "ray-2", "prompt": "someone else" } });
    let ours = json!({ "id": ID, "state": "queued", "request": sent });
    let (s, c) = setup(vec![
        fail(TransportErrorKind::Other),
        ok(200, json!({ "generations": [other, ours] })),
    ]);
    let g = block_on(client(ProviderKind::Luma, &s, &c, 2).generate(&prompt())).unwrap();
    assert_eq!(g.id, ID);
    let sent_requests = s.sent.borrow();
    assert_eq!(
        sent_requests
            .iter()
            .filter(|r| r.method.as_str() == "POST")
            .count(),
        1,
        "no second create"
    );
    assert!(sent_requests[1].url.contains("/generations?limit="));
    // Protocols without a list cannot reconcile: the error stands, and nothing more is sent.
    let (s, c) = setup(vec![fail(TransportErrorKind::Other)]);
    assert!(block_on(client(ProviderKind::Gptge, &s, &c, 2).generate(&prompt())).is_err());
    assert_eq!(s.sent.borrow().len(), 1);
}

#[test]
fn retry_after_is_honoured_and_capped() {
    let (s, c) = setup(vec![
        Ok(HttpResponse::new(429, "{}").with_header("retry-after", "7")),
        Ok(HttpResponse::new(429, "{}").with_header("retry-after", "999")),
        gen(ID, "queued"),
    ]);
    block_on(client(ProviderKind::Luma, &s, &c, 2).get(ID)).unwrap();
    assert_eq!(*c.slept.borrow(), vec![7_000, 60_000]);
}

#[test]
fn invalid_and_unsupported_requests_send_nothing() {
    let (s, c) = setup(vec![]);
    let cl = client(ProviderKind::Apiframe, &s, &c, 2);
    let e = block_on(cl.generate(&GenerateRequest {
        aspect_ratio: Some(luma_extend::AspectRatio::parse("19:9")),
        ..prompt()
    }))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    let back = ExtendRequest {
        generation_id: ID.into(),
        prompt: "before".into(),
        direction: Some(luma_extend::Direction::Backward),
        ..Default::default()
    };
    assert_eq!(
        block_on(cl.extend(&back)).unwrap_err().code,
        ErrorCode::Unsupported
    );
    assert!(s.sent.borrow().is_empty());
}

#[test]
fn extending_a_parent_seen_unfinished_is_left_to_the_provider() {
    // Seen dreaming; it may have completed since without this client looking, and the
    // provider's own refusal is what the caller gets if not.
    let refusal = ok(
        400,
        json!({ "detail": "only a completed generation can be extended" }),
    );
    let (s, c) = setup(vec![gen(ID, "dreaming"), refusal]);
    let cl = client(ProviderKind::Luma, &s, &c, 2);
    block_on(cl.get(ID)).unwrap();
    let e = block_on(cl.extend(&ExtendRequest {
        generation_id: ID.into(),
        prompt: "more".into(),
        ..Default::default()
    }))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(s.sent.borrow().len(), 2);
}

#[test]
fn wait_reports_each_change_and_resolves_completed() {
    let (s, c) = setup(vec![
        gen(ID, "queued"),
        gen(ID, "queued"),
        gen(ID, "dreaming"),
        gen(ID, "queued"),
        gen(ID, "completed"),
    ]);
    let mut seen = Vec::new();
    let g = block_on(client(ProviderKind::Luma, &s, &c, 2).wait(
        ID,
        WaitOptions::default(),
        &mut |g| seen.push(g.state),
    ))
    .unwrap();
    assert_eq!(g.video_url.as_deref(), Some("https://v/x.mp4"));
    use luma_extend::State::*;
    assert_eq!(
        seen,
        [Queued, Dreaming, Completed],
        "a stale `queued` after dreaming is ignored"
    );
}

#[test]
fn wait_fails_with_the_failure_reason() {
    let failed = ok(
        200,
        json!({ "id": ID, "state": "failed", "failure_reason": "Contains blacklisted words" }),
    );
    let (s, c) = setup(vec![gen(ID, "dreaming"), failed]);
    let e = block_on(client(ProviderKind::Luma, &s, &c, 2).wait(
        ID,
        WaitOptions::default(),
        &mut |_| {},
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::GenerationFailed);
    assert_eq!(
        e.generation.unwrap().failure_reason.as_deref(),
        Some("Contains blacklisted words")
    );
}

#[test]
fn wait_times_out_at_the_deadline() {
    let (s, c) = setup((0..100).map(|_| gen(ID, "dreaming")).collect());
    let e = block_on(client(ProviderKind::Luma, &s, &c, 2).wait(
        ID,
        WaitOptions {
            deadline_ms: Some(20_000),
            seed: None,
        },
        &mut |_| {},
    ))
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::Timeout);
    assert!(c.now.get() <= 20_000, "never sleeps past the deadline");
}

#[test]
fn a_typical_job_length_sets_the_pace() {
    let (s, c) = setup(vec![
        gen(ID, "queued"),
        gen(ID, "dreaming"),
        gen(ID, "completed"),
    ]);
    let options = ClientOptions {
        max_retries: 2,
        seed: 1,
        typical_job_ms: Some(4_000),
    };
    let cl = Client::new(
        Provider::new(ProviderKind::Luma, "k", None),
        &s,
        &c,
        options,
    );
    block_on(cl.wait(ID, WaitOptions::default(), &mut |_| {})).unwrap();
    assert!(
        c.now.get() < 3_000,
        "three checks within a short job's length: {}",
        c.now.get()
    );
}

#[test]
fn wait_keeps_polling_through_transient_errors() {
    let (s, c) = setup(vec![
        gen(ID, "dreaming"),
        ok(503, json!({})),
        ok(503, json!({})),
        ok(503, json!({})),
        gen(ID, "completed"),
    ]);
    let g = block_on(client(ProviderKind::Luma, &s, &c, 2).wait(
        ID,
        WaitOptions::default(),
        &mut |_| {},
    ))
    .unwrap();
    assert_eq!(g.state, luma_extend::State::Completed);
}

#[test]
fn get_many_splits_batches_and_keeps_the_callers_order() {
    let ids: Vec<String> = (0..21).map(|i| format!("task-{i}")).collect();
    let tasks: Vec<_> = ids[..20]
        .iter()
        .rev()
        .map(|id| json!({ "task_id": id, "status": "processing", "percentage": "10" }))
        .collect();
    let (s, c) = setup(vec![
        ok(200, json!({ "tasks": tasks })),
        ok(
            200,
            json!({ "task_id": "task-20", "video_url": "https://v/20.mp4" }),
        ),
    ]);
    let got = block_on(client(ProviderKind::Apiframe, &s, &c, 2).get_many(&ids)).unwrap();
    assert_eq!(got.iter().map(|g| g.id.clone()).collect::<Vec<_>>(), ids);
    let sent = s.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].url.ends_with("/fetch-many") && sent[1].url.ends_with("/fetch"));
}

#[test]
fn get_many_reports_an_id_missing_from_the_answer() {
    let ids = vec!["a".to_string(), "b".to_string()];
    let (s, c) = setup(vec![ok(
        200,
        json!({ "tasks": [{ "task_id": "a", "status": "pending" }] }),
    )]);
    let e = block_on(client(ProviderKind::Apiframe, &s, &c, 2).get_many(&ids)).unwrap_err();
    assert_eq!(e.code, ErrorCode::NotFound);
    assert!(e.message.contains('b'));
}

#[test]
fn gateway_creates_carry_one_idempotency_key_and_are_retried_like_reads() {
    fn gw<'a>(s: &'a Script, c: &'a Clock) -> Client<&'a Script, &'a Clock> {
        let provider = Provider::new(ProviderKind::Gateway, "k", Some("https://gw.test/v1"));
        Client::new(provider, s, c, ClientOptions::default())
    }
    for first in [
        fail(TransportErrorKind::Other),
        fail(TransportErrorKind::Timeout),
        ok(502, json!({})),
    ] {
        let (s, c) = setup(vec![first, gen(ID, "queued")]);
        block_on(gw(&s, &c).generate(&prompt())).unwrap();
        let sent = s.sent.borrow();
        let keys: Vec<_> = sent.iter().map(|r| r.header("idempotency-key")).collect();
        assert_eq!(sent.len(), 2, "the ambiguous first attempt is retried");
        assert!(keys[0].is_some_and(|k| k.len() > 20), "{keys:?}");
        assert_eq!(keys[0], keys[1], "the same key on every attempt");
    }
    let (s, c) = setup(vec![gen(ID, "queued"), gen(ID, "queued")]);
    let client = gw(&s, &c);
    block_on(client.generate(&prompt())).unwrap();
    block_on(client.generate(&prompt())).unwrap();
    let sent = s.sent.borrow();
    assert_ne!(
        sent[0].header("idempotency-key"),
        sent[1].header("idempotency-key"),
        "a new call, a new key"
    );
}

#[test]
fn other_protocols_get_no_idempotency_key_and_an_ambiguous_create_says_so() {
    let (s, c) = setup(vec![fail(TransportErrorKind::Other)]);
    let e = block_on(client(ProviderKind::Apiframe, &s, &c, 2).generate(&prompt())).unwrap_err();
    assert!(e.may_have_been_created && !e.retryable);
    assert_eq!(s.sent.borrow().len(), 1);
    assert_eq!(s.sent.borrow()[0].header("idempotency-key"), None);
}

#[test]
fn a_garbled_answer_to_a_gateway_create_is_asked_again_with_the_same_key() {
    let provider = Provider::new(ProviderKind::Gateway, "k", Some("https://gw.test/v1"));
    let (s, c) = setup(vec![
        Ok(HttpResponse::new(200, "{\"id\": \"trunc")),
        gen(ID, "queued"),
    ]);
    let g = block_on(Client::new(provider, &s, &c, ClientOptions::default()).generate(&prompt()));
    assert_eq!(g.unwrap().id, ID);
    let sent = s.sent.borrow();
    assert_eq!(sent.len(), 2);
    assert_eq!(
        sent[0].header("idempotency-key"),
        sent[1].header("idempotency-key")
    );
}

#[test]
fn a_gateway_client_refuses_what_the_upstream_cannot_make_once_the_gateway_said_so() {
    let provider = Provider::new(ProviderKind::Gateway, "k", Some("https://gw.test/v1"));
    let caps = json!({ "upstream": "apiframe", "models": ["ray-2"], "backward": false });
    let (s, c) = setup(vec![gen(ID, "queued"), ok(200, caps), gen(ID, "queued")]);
    let client = Client::new(provider, &s, &c, ClientOptions::default());
    // What every upstream takes needs no question.
    block_on(client.generate(&prompt())).unwrap();
    assert!(s.sent.borrow()[0].url.ends_with("/generations/video"));
    let flash = GenerateRequest {
        model: Some("ray-flash-2".into()),
        ..prompt()
    };
    let e = block_on(client.generate(&flash)).unwrap_err();
    assert_eq!(
        (e.code, e.issues[0].field.as_str()),
        (ErrorCode::InvalidRequest, "model")
    );
    assert!(e.message.contains("apiframe"), "{}", e.message);
    let back = ExtendRequest {
        generation_id: "6e1f3a2b-0000-4000-8000-000000000001".into(),
        prompt: "Before it".into(),
        direction: Some(luma_extend::Direction::Backward),
        ..Default::default()
    };
    let e = block_on(client.extend(&back)).unwrap_err();
    assert_eq!(
        (e.code, e.issues[0].field.as_str()),
        (ErrorCode::Unsupported, "direction")
    );
    let sent: Vec<String> = s.sent.borrow().iter().map(|r| r.url.clone()).collect();
    assert_eq!(
        sent.len(),
        2,
        "asked once, nothing refused was sent: {sent:?}"
    );
    assert_eq!(sent[1], "https://gw.test/v1/capabilities");
    let ray2 = GenerateRequest {
        model: Some("ray-2".into()),
        ..prompt()
    };
    block_on(client.generate(&ray2)).unwrap();
    assert_eq!(s.sent.borrow().len(), 3, "the model it makes is sent");
}

#[test]
fn without_an_answer_about_its_upstream_the_gateway_decides() {
    let provider = || Provider::new(ProviderKind::Gateway, "k", Some("https://gw.test/v1"));
    let flash = GenerateRequest {
        model: Some("ray-flash-2".into()),
        ..prompt()
    };
    // A gateway without the route is not asked again; a failed question is asked again.
    let not_served = || {
        ok(
            404,
            json!({ "detail": "The gateway does not serve GET /capabilities" }),
        )
    };
    for answers in [
        vec![not_served(), gen(ID, "queued"), gen(ID, "queued")],
        vec![
            fail(TransportErrorKind::Other),
            gen(ID, "queued"),
            not_served(),
            gen(ID, "queued"),
        ],
    ] {
        let asks = answers.len();
        let (s, c) = setup(answers);
        let client = Client::new(provider(), &s, &c, ClientOptions::default());
        block_on(client.generate(&flash)).unwrap();
        block_on(client.generate(&flash)).unwrap();
        assert_eq!(s.sent.borrow().len(), asks);
    }
}

#[test]
fn a_long_lived_client_remembers_a_bounded_number_of_states() {
    use std::cell::RefCell;
    use std::rc::Rc;
    let id = |i: usize| format!("{:08x}-10e7-4dae-af0b-263ab4ac45f9", i);
    let mut answers: Vec<Answer> = (0..10_000).map(|i| gen(&id(i), "completed")).collect();
    answers.extend((10_000..20_001).map(|i| gen(&id(i), "dreaming")));
    let (s, c) = setup(answers);
    let known = Rc::new(RefCell::new(Default::default()));
    let client = Client::with_known(
        Provider::new(ProviderKind::Luma, "k", None),
        &s,
        &c,
        ClientOptions {
            max_retries: 0,
            seed: 1,
            typical_job_ms: None,
        },
        known.clone(),
    );
    for i in 0..10_001 {
        block_on(client.get(&id(i))).unwrap();
    }
    // The ended jobs made room: only the newest is left.
    assert_eq!(known.borrow().len(), 1);
    for i in 10_001..20_001 {
        block_on(client.get(&id(i))).unwrap();
    }
    // 10,001 running jobs: at the bound, all are forgotten and the newest kept.
    assert_eq!(known.borrow().len(), 1);
    assert!(known.borrow().contains_key(&id(20_000)));
}
