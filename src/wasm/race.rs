//! Racing a call against an AbortSignal and a deadline, without pulling in an executor crate.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::prop;

pub enum Either<A, B> {
    Left(A),
    Right(B),
}

/// Polls both; the first to finish wins and the other is dropped (which cancels it).
pub async fn race<A: Future, B: Future>(a: A, b: B) -> Either<A::Output, B::Output> {
    let (mut a, mut b) = (pin!(a), pin!(b));
    poll_fn(|cx| {
        if let Poll::Ready(x) = a.as_mut().poll(cx) {
            return Poll::Ready(Either::Left(x));
        }
        b.as_mut().poll(cx).map(Either::Right)
    })
    .await
}

/// Resolves when `signal` aborts (at once if it already has); listener removed on drop.
pub struct Aborted {
    signal: JsValue,
    listener: Option<Function>,
    fired: JsFuture,
}

impl Aborted {
    pub fn new(signal: JsValue) -> Aborted {
        let mut listener = None;
        let promise = Promise::new(&mut |resolve, _reject| {
            if prop(&signal, "aborted").and_then(|v| v.as_bool()) == Some(true) {
                let _ = resolve.call0(&JsValue::UNDEFINED);
                return;
            }
            if let Some(add) = prop(&signal, "addEventListener").and_then(|f| f.dyn_into::<Function>().ok()) {
                let _ = add.call2(&signal, &JsValue::from_str("abort"), &resolve);
                listener = Some(resolve);
            }
        });
        Aborted { signal, listener, fired: JsFuture::from(promise) }
    }

    pub async fn wait(mut self) {
        let _ = (&mut self.fired).await;
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        let Some(listener) = self.listener.take() else { return };
        if let Ok(remove) = Reflect::get(&self.signal, &JsValue::from_str("removeEventListener")) {
            if let Ok(remove) = remove.dyn_into::<Function>() {
                let _ = remove.call2(&self.signal, &JsValue::from_str("abort"), &listener);
            }
        }
    }
}
