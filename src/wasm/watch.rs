//! `watch()`: an async iterator of state changes, fed by a background wait. The entry files add
//! `[Symbol.asyncIterator]`; `return()` (a `break` in for-await) stops the background polling.
//! `next()` calls made before earlier ones settle are queued and settled in order.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::AbortController;

#[derive(Default)]
struct Queue {
    items: VecDeque<Result<JsValue, JsValue>>,
    finished: bool,
    waiting: VecDeque<(Function, Function)>,
}

impl Queue {
    fn settle(&mut self) {
        while let Some((resolve, reject)) = self.waiting.pop_front() {
            let _ = match self.items.pop_front() {
                Some(Ok(v)) => resolve.call1(&JsValue::UNDEFINED, &step(v, false)),
                Some(Err(e)) => reject.call1(&JsValue::UNDEFINED, &e),
                None if self.finished => {
                    resolve.call1(&JsValue::UNDEFINED, &step(JsValue::UNDEFINED, true))
                }
                None => {
                    self.waiting.push_front((resolve, reject));
                    return;
                }
            };
        }
    }
}

fn step(value: JsValue, done: bool) -> JsValue {
    let o = Object::new();
    let _ = Reflect::set(&o, &"value".into(), &value);
    let _ = Reflect::set(&o, &"done".into(), &JsValue::from_bool(done));
    o.into()
}

/// The producer side, held by the background wait.
#[derive(Clone)]
pub struct Feed(Rc<RefCell<Queue>>);

impl Feed {
    pub fn push(&self, item: Result<JsValue, JsValue>) {
        let mut q = self.0.borrow_mut();
        if !q.finished {
            q.items.push_back(item);
            q.settle();
        }
    }

    pub fn finish(&self) {
        let mut q = self.0.borrow_mut();
        q.finished = true;
        q.settle();
    }
}

#[wasm_bindgen]
pub struct Watch {
    queue: Rc<RefCell<Queue>>,
    stop: AbortController,
}

impl Watch {
    /// `stop` aborts the background wait.
    pub fn new(stop: AbortController) -> (Watch, Feed) {
        let queue = Rc::new(RefCell::new(Queue::default()));
        (
            Watch {
                queue: queue.clone(),
                stop,
            },
            Feed(queue),
        )
    }
}

#[wasm_bindgen]
impl Watch {
    /// The next state change, or `{done: true}` after the terminal one.
    pub fn next(&self) -> Promise {
        let queue = self.queue.clone();
        Promise::new(&mut |resolve, reject| {
            let mut q = queue.borrow_mut();
            q.waiting.push_back((resolve, reject));
            q.settle();
        })
    }

    /// Ends the iteration early and stops polling.
    #[wasm_bindgen(js_name = "return")]
    pub fn stop(&self) -> Promise {
        self.stop.abort();
        let mut q = self.queue.borrow_mut();
        q.items.clear();
        q.finished = true;
        q.settle();
        Promise::resolve(&step(JsValue::UNDEFINED, true))
    }
}
