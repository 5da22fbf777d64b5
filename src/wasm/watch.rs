//! `watch()`: an async iterator of state changes, fed by a background wait. The entry files add
//! `[Symbol.asyncIterator]`; `return()` (a `break` in for-await) stops the background polling.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;

use super::js::set;

#[derive(Default)]
struct Queue {
    items: VecDeque<Result<JsValue, JsValue>>,
    finished: bool,
    waiting: Option<(Function, Function)>,
}

impl Queue {
    fn settle(&mut self) {
        let Some((resolve, reject)) = self.waiting.take() else {
            return;
        };
        match self.items.pop_front() {
            Some(Ok(v)) => drop(resolve.call1(&JsValue::UNDEFINED, &step(v, false))),
            Some(Err(e)) => drop(reject.call1(&JsValue::UNDEFINED, &e)),
            None if self.finished => {
                drop(resolve.call1(&JsValue::UNDEFINED, &step(JsValue::UNDEFINED, true)))
            }
            None => self.waiting = Some((resolve, reject)),
        }
    }
}

fn step(value: JsValue, done: bool) -> JsValue {
    let o = Object::new();
    set(&o, "value", &value);
    set(&o, "done", &JsValue::from_bool(done));
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
    stop: Function,
}

impl Watch {
    /// `stop` aborts the background wait.
    pub fn new(stop: Function) -> (Watch, Feed) {
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
            q.waiting = Some((resolve, reject));
            q.settle();
        })
    }

    /// Ends the iteration early and stops polling.
    #[wasm_bindgen(js_name = "return")]
    pub fn stop(&self) -> Promise {
        let _ = self.stop.call0(&JsValue::UNDEFINED);
        let mut q = self.queue.borrow_mut();
        q.items.clear();
        q.finished = true;
        q.settle();
        Promise::resolve(&step(JsValue::UNDEFINED, true))
    }
}
