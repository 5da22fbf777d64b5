//! Sleeps on the global `setTimeout` (browsers, workers, Node and workerd all have it), cleared
//! when dropped, and the time from `Date.now()`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::client::Timer;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &js_sys::Function, ms: f64) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// `setTimeout` fires at once when given more than this (the delay is an int32), so longer
/// sleeps are chained.
const MAX_TIMER_MS: u64 = (1 << 31) - 1;

/// The platform's clock and timers, for [`crate::client::Client`].
#[derive(Clone, Copy, Debug, Default)]
pub struct WebTimer;

impl Timer for WebTimer {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    async fn sleep(&self, ms: u64) {
        sleep(ms).await
    }
}

/// Sleeps `ms`, however long, in steps the timer can take.
pub async fn sleep(ms: u64) {
    let mut left = ms;
    loop {
        let step = left.min(MAX_TIMER_MS);
        Sleep::new(step).await;
        left -= step;
        if left == 0 {
            return;
        }
    }
}

/// A pending `setTimeout`; dropping it clears the timer so nothing fires after an abort, and
/// settles the promise: a `JsFuture` whose promise never settles stays in wasm memory for good.
struct Sleep {
    id: JsValue,
    settle: Option<js_sys::Function>,
    done: JsFuture,
}

impl Sleep {
    fn new(ms: u64) -> Sleep {
        let mut id = JsValue::UNDEFINED;
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, _reject| {
            id = set_timeout(&resolve, ms as f64);
            settle = Some(resolve);
        });
        Sleep {
            id,
            settle,
            done: JsFuture::from(promise),
        }
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.done).poll(cx).map(|_| ())
    }
}

impl Drop for Sleep {
    fn drop(&mut self) {
        clear_timeout(&self.id);
        if let Some(resolve) = self.settle.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}
