//! An AbortSignal as a future, so a call can be raced against it (see `client::race`).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::js::prop;

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
            if let Some(add) =
                prop(&signal, "addEventListener").and_then(|f| f.dyn_into::<Function>().ok())
            {
                let _ = add.call2(&signal, &JsValue::from_str("abort"), &resolve);
                listener = Some(resolve);
            }
        });
        Aborted {
            signal,
            listener,
            fired: JsFuture::from(promise),
        }
    }

    pub async fn wait(mut self) {
        let _ = (&mut self.fired).await;
    }
}

impl Drop for Aborted {
    fn drop(&mut self) {
        let Some(listener) = self.listener.take() else {
            return;
        };
        if let Ok(remove) = Reflect::get(&self.signal, &JsValue::from_str("removeEventListener")) {
            if let Ok(remove) = remove.dyn_into::<Function>() {
                let _ = remove.call2(&self.signal, &JsValue::from_str("abort"), &listener);
            }
        }
    }
}
