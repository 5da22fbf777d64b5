// One isolate runs all its requests on one thread. With thousands of creates at once, each waits
// for the CPU of all the others, answers take many seconds, and workerd's server closes kept-alive
// connections whose next request it has not read in time: a reset to the caller (see
// docs/design.md). So an isolate works on at most `running` creates at once, and answers the next
// ones 503 at once. (Making them wait in the Worker is not possible: a promise resolved by
// another request's context does not wake its own.) The Retry-After is about the time the
// callers refused so far need at the isolate's pace, each drawn at random within it, so the
// refused come back spread out rather than all together.
import { refuse } from "./common.js";

export const MAX_RUNNING = 32;
/** Creates a second an isolate is taken to finish before it has measured its own pace. */
const MIN_PACE = 50;
const WINDOW_MS = 1_000;
const MAX_RETRY_AFTER_S = 30;
/** A refused caller that has not come back within this long is no longer counted. */
const FORGET_MS = 60_000;

let running = 0;
/** Creates finished in the current and the previous window: the isolate's pace. */
let window = { start: 0, done: 0 };
let previous = 0;
/** Callers refused and not yet admitted (by Idempotency-Key, or each refusal), and when. */
const refused = new Map();

function roll(now) {
  if (now - window.start < WINDOW_MS) return;
  previous = now - window.start < 2 * WINDOW_MS ? window.done : 0;
  window = { start: now, done: 0 };
}

/** Admits a create (call the returned function when it ends), or throws a 503 refusal. */
export function admitCreate(key, max = MAX_RUNNING) {
  const now = Date.now();
  roll(now);
  if (running < max) {
    running++;
    if (key) refused.delete(key);
    return () => {
      running--;
      roll(Date.now());
      window.done++;
    };
  }
  // Bounded: a flood of made-up keys cannot grow it past this.
  if (refused.size < 100_000) refused.set(key?.length <= 255 ? key : Symbol(), now);
  for (const [k, at] of refused) {
    if (now - at < FORGET_MS) break; // the map keeps insertion order: the rest are newer
    refused.delete(k);
  }
  const pace = Math.max(MIN_PACE, previous, window.done);
  const needMs = Math.min(MAX_RETRY_AFTER_S * 1000, (1000 * refused.size) / pace);
  // Whole seconds for clients that read only Retry-After; to the millisecond for those that
  // read retry-after-ms (ours, the Stainless SDKs), which spreads them finer.
  const afterMs = 250 + Math.floor(Math.random() * needMs);
  throw refuse(503, "The gateway is busy with other creates; retry after the time in Retry-After", [
    ["retry-after", String(Math.ceil(afterMs / 1000))],
    ["retry-after-ms", String(afterMs)],
  ]);
}
