//! A scripted in-process transport and a virtual clock for the client's tests.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use luma_extend::client::{Timer, Transport, TransportError, TransportErrorKind};
use luma_extend::provider::{HttpRequest, HttpResponse};
use serde_json::Value;

pub type Answer = Result<HttpResponse, TransportError>;

/// Canned answers in order; every request recorded.
#[derive(Default)]
pub struct Script {
    pub answers: RefCell<VecDeque<Answer>>,
    pub sent: RefCell<Vec<HttpRequest>>,
}

impl Transport for &Script {
    async fn send(&self, request: HttpRequest) -> Answer {
        self.sent.borrow_mut().push(request);
        self.answers
            .borrow_mut()
            .pop_front()
            .expect("the script ran out of answers")
    }
}

/// A virtual clock: `sleep` advances it, or never returns while `hang` is set.
#[derive(Default)]
pub struct Clock {
    pub now: Cell<u64>,
    pub slept: RefCell<Vec<u64>>,
    pub hang: Cell<bool>,
}

impl Timer for &Clock {
    fn now_ms(&self) -> u64 {
        self.now.get()
    }
    async fn sleep(&self, ms: u64) {
        if self.hang.get() {
            std::future::pending::<()>().await;
        }
        self.slept.borrow_mut().push(ms);
        self.now.set(self.now.get() + ms);
    }
}

/// Everything completes without real waiting, so polling until ready is enough.
pub fn block_on<F: Future>(f: F) -> F::Output {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..100_000 {
        if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
    panic!("the future never finished");
}

pub fn ok(status: u16, body: Value) -> Answer {
    Ok(HttpResponse::new(status, body.to_string()))
}

pub fn fail(kind: TransportErrorKind) -> Answer {
    Err(TransportError {
        kind,
        message: "boom".into(),
    })
}
