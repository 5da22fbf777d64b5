// How long jobs take, learned across all the gateway's callers: one object per upstream holds
// the model (the core's JobLengths, by kind of job, in its compact text form `lx1;…`, bounded
// to 64 kinds of ~136 buckets). Shards report completed jobs to it off the request path, in
// batches, and read the model now and then; their alarms plan each new job from it.
import { g, meter } from "./common.js";

const FLUSH_MS = 2_000; // a shard's reports leave together, this long after the first one
const BATCH_MAX = 200; // and at once when this many are waiting
const REFRESH_MS = 300_000; // a shard reads the model again after this long (not a hot spot)

/** The learning object: the model, kept in its storage, and the reports it takes. */
export class LearnedLengths {
  constructor(ctx) {
    this.ctx = ctx;
    ctx.blockConcurrencyWhile(async () => {
      this.model = (await ctx.storage.get("model")) ?? undefined;
    });
  }

  async fetch(request) {
    meter.lengths_requests++;
    if (request.method === "POST") {
      // One write per batch, whatever its size; reports that do not read are skipped.
      this.model = g.lengthsRecord(this.model, await request.json());
      await this.ctx.storage.put("model", this.model);
      meter.rows_written++;
    }
    return new Response(this.model ?? "", { headers: [["content-type", "text/plain"]] });
  }
}

/** A shard's side: the model as last read, and its own completions on their way. */
export class Learning {
  constructor(env, upstream) {
    this.stub = env.LENGTHS?.get(env.LENGTHS.idFromName(upstream));
    this.refreshMs = Number(env.LENGTHS_REFRESH_MS) || REFRESH_MS;
    this.text = this.stub ? undefined : ""; // no store bound: plan cold, nothing to wait for
    this.readAt = -Infinity;
    this.reading = null;
    this.reports = [];
    this.timer = null;
  }

  /**
   * The model's text as last read ("" when none), or undefined until the first read answers.
   * Never waits: an old copy is used while a fresh one is read in the background.
   */
  model() {
    if (this.stub && !this.reading && Date.now() - this.readAt > this.refreshMs) {
      this.reading = this.stub.fetch("https://lengths/model")
        .then((r) => r.text())
        .then((t) => void (this.text = t), () => void (this.text ??= ""))
        .finally(() => {
          this.readAt = Date.now();
          this.reading = null;
        });
    }
    return this.text;
  }

  /** A completed job `[kind, from, to]`: learned here at once, sent to the store soon after. */
  report(learned) {
    this.text = g.lengthsRecord(this.text || undefined, [learned]);
    if (!this.stub) return;
    this.reports.push(learned);
    if (this.reports.length >= BATCH_MAX) return void this.flush();
    this.timer ??= setTimeout(() => this.flush(), FLUSH_MS);
  }

  /** Fire and forget: a lost batch costs the model a few jobs, never a caller's request. */
  flush() {
    clearTimeout(this.timer);
    this.timer = null;
    const batch = this.reports.splice(0);
    if (!batch.length) return;
    this.stub.fetch("https://lengths/record", { method: "POST", body: JSON.stringify(batch) })
      .then((r) => r.body?.cancel())
      .catch((e) => console.log(JSON.stringify({ lengths_error: String(e?.message ?? e), lost: batch.length })));
  }
}
