//! Sleeps on the global `setTimeout`, cancelled when dropped, and the time from `Date.now()`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

use super::js::{clear_timeout, set_timeout};
use crate::client::Timer;

pub struct JsTimer;

impl Timer for JsTimer {
    fn now_ms(&self) -> u64 {
        js_sys::Date::now() as u64
    }

    async fn sleep(&self, ms: u64) {
        Sleep::new(ms).await
    }
}

/// A pending `setTimeout`; dropping it clears the timer so nothing fires after an abort.
pub struct Sleep {
    id: JsValue,
    done: JsFuture,
}

impl Sleep {
    pub fn new(ms: u64) -> Sleep {
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _reject| {
            id = set_timeout(&resolve, ms as f64);
        });
        Sleep {
            id,
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
    }
}
