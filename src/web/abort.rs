//! An `AbortSignal` as a future, so work can be raced against it (see `client::race`).

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// Resolves when `signal` aborts (at once if it already has); its listener is removed on drop.
/// Without a signal it never resolves, and costs nothing: no promise, no callbacks.
pub struct Aborted {
    signal: Option<AbortSignal>,
    listener: Option<Function>,
    /// The promise's `resolve`, called on drop: a `JsFuture` whose promise never settles keeps
    /// its callbacks and state alive in wasm memory for good (they hold each other until then).
    settle: Option<Function>,
    fired: Option<JsFuture>,
}

impl Aborted {
    pub fn new(signal: Option<AbortSignal>) -> Aborted {
        let Some(s) = signal else {
            return Aborted {
                signal: None,
                listener: None,
                settle: None,
                fired: None,
            };
        };
        let mut listener = None;
        let mut settle = None;
        let promise = Promise::new(&mut |resolve, _reject| {
            settle = Some(resolve.clone());
            if s.aborted() {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            } else if s
                .add_event_listener_with_callback("abort", &resolve)
                .is_ok()
            {
                listener = Some(resolve);
            }
        });
        Aborted {
            signal: Some(s),
            listener,
            settle,
            fired: Some(JsFuture::from(promise)),
        }
    }

    pub async fn wait(mut self) {
        match &mut self.fired {
            Some(fired) => {
                let _ = fired.await;
            }
            None => std::future::pending().await,
        }
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        if let (Some(s), Some(l)) = (&self.signal, self.listener.take()) {
            let _ = s.remove_event_listener_with_callback("abort", l.unchecked_ref());
        }
        if let Some(resolve) = self.settle.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}
