//! An `AbortSignal` as a future, so work can be raced against it (see `client::race`).

use js_sys::{Function, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// Resolves when `signal` aborts (at once if it already has); its listener is removed on drop.
/// Without a signal it never resolves, and costs nothing: no promise, no callbacks.
pub struct Aborted(Option<Armed>);

/// A signal's promise and what undoes it.
struct Armed {
    signal: AbortSignal,
    listener: Option<Function>,
    /// The promise's `resolve`, called on drop: a `JsFuture` whose promise never settles keeps
    /// its callbacks and state alive in wasm memory for good (they hold each other until then).
    settle: Option<Function>,
    fired: JsFuture,
}

impl Aborted {
    pub fn new(signal: Option<AbortSignal>) -> Aborted {
        Aborted(signal.map(|signal| {
            let (mut listener, mut settle) = (None, None);
            let promise = Promise::new(&mut |resolve, _reject| {
                settle = Some(resolve.clone());
                if signal.aborted() {
                    let _ = resolve.call0(&JsValue::UNDEFINED);
                } else if signal
                    .add_event_listener_with_callback("abort", &resolve)
                    .is_ok()
                {
                    listener = Some(resolve);
                }
            });
            Armed {
                signal,
                listener,
                settle,
                fired: JsFuture::from(promise),
            }
        }))
    }

    pub async fn wait(mut self) {
        match &mut self.0 {
            Some(armed) => {
                let _ = (&mut armed.fired).await;
            }
            None => std::future::pending().await,
        }
    }
}

impl Drop for Armed {
    fn drop(&mut self) {
        if let Some(l) = self.listener.take() {
            let _ = self
                .signal
                .remove_event_listener_with_callback("abort", l.unchecked_ref());
        }
        if let Some(resolve) = self.settle.take() {
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}
