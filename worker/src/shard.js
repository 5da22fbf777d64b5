// One shard of one caller: its generations as rows in SQLite, the long-polls waiting on them,
// and one alarm that asks the upstream about whatever is due. See docs/design.md (the gateway).
import { g, json, meter, refuse, refusal, upstreamFailure, withUpstream } from "./common.js";
import { Learning } from "./lengths.js";
import { confirm, keepUnconfirmed, pollUnconfirmed, resendOf } from "./unconfirmed.js";

const RANK = { queued: 0, dreaming: 1, completed: 2, failed: 2 };
const TERMINAL = ["completed", "failed"];
const AT_ONCE = 6; // upstream requests one alarm run makes at once
const DAY_MS = 86_400_000;
const SWEEP_BATCH = 500;
const IDEMPOTENCY_MS = 2 * DAY_MS; // keys are honoured at least 24 hours
const READ_GAP_MS = 250; // between two upstream reads of one job
// After this many jobs in a row seen complete by polls with no callback heard, the upstream's
// callbacks are taken as silent: jobs follow the learned plan without waiting for them.
const SILENT_JOBS = 2;

/** Runs `f` over `items`, at most `n` at once. */
async function pool(items, n, f) {
  const queue = [...items];
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    while (queue.length) await f(queue.shift());
  }));
}

export class CallerShard {
  constructor(ctx, env) {
    this.ctx = ctx;
    this.env = env;
    this.sql = ctx.storage.sql;
    this.config = g.gatewayConfig(env);
    this.typical = Number(env.UPSTREAM_TYPICAL_JOB_MS) || undefined;
    this.longPollMs = Math.min(60_000, Math.max(100, Number(env.LONG_POLL_MS) || 25_000));
    this.live = new Map(); // id → { record, created, heard, due }: jobs not yet terminal
    this.waiters = new Map(); // id → Set of wake-ups for long-polls
    this.refreshing = new Map(); // id → the one refresh in flight (single-flight)
    this.creating = new Map(); // idempotency key → the create in flight, for a racing twin
    // id → the body of a callback that came while its create was still waiting on the upstream
    // (null until one comes): answered 200, and applied once the create has its answer.
    this.early = new Map();
    this.alarmAt = null;
    this.nextSweep = Date.now();
    this.bucket = { tokens: this.config.shardCreatesPerS, at: Date.now() };
    this.active = 0;
    this.outbox = Promise.resolve(); // app events leave in order
    this.learning = new Learning(env, this.config.upstream);
    this.learning.model(); // read early, so the first jobs plan from it
    this.silentJobs = 0;
    ctx.blockConcurrencyWhile(async () => {
      this.load();
      // After a restart or an eviction, running jobs are polled at once: callbacks that came
      // meanwhile may have been missed.
      this.alarmAt = await ctx.storage.getAlarm();
      await this.arm();
    });
  }

  exec(query, ...args) {
    const cursor = this.sql.exec(query, ...args);
    const rows = cursor.toArray();
    meter.rows_written += cursor.rowsWritten;
    return rows;
  }

  /** The schema, and the jobs still running (written once per state change, so they survive). */
  load() {
    this.sql.exec(`CREATE TABLE IF NOT EXISTS gen (id TEXT PRIMARY KEY, owner TEXT NOT NULL, created_ms INTEGER NOT NULL,
      state TEXT NOT NULL, record TEXT NOT NULL) WITHOUT ROWID`);
    this.sql.exec("CREATE INDEX IF NOT EXISTS gen_by_time ON gen (created_ms)");
    // When each caller created (kept a day, deletes or not), for CALLER_LIMITS.
    this.sql.exec("CREATE TABLE IF NOT EXISTS creates (owner TEXT NOT NULL, created_ms INTEGER NOT NULL)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS creates_by_owner ON creates (owner, created_ms)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS idem (key TEXT PRIMARY KEY, hash TEXT NOT NULL, id TEXT NOT NULL,
      created_ms INTEGER NOT NULL) WITHOUT ROWID`);
    // Each running job's schedule (gateway::watch_step), written when the alarm polls it.
    if (!this.sql.exec("PRAGMA table_info(gen)").toArray().some((c) => c.name === "sched")) this.sql.exec("ALTER TABLE gen ADD COLUMN sched TEXT");
    const since = Date.now() - DAY_MS - 60_000;
    for (const row of this.sql.exec("SELECT id, created_ms, record, sched FROM gen WHERE created_ms > ? AND state NOT IN ('completed', 'failed')", since)) {
      const record = JSON.parse(row.record);
      this.live.set(row.id, { record, created: row.created_ms, heard: null, due: Date.now(), sched: row.sched ?? undefined });
    }
  }

  /** Holds the object's busy time for the meter: billed duration is wall time with work in flight. */
  async busy(f) {
    if (this.active++ === 0) this.since = Date.now();
    try {
      return await f();
    } finally {
      if (--this.active === 0) meter.do_busy_ms += Date.now() - this.since;
    }
  }

  async fetch(request) {
    meter.do_requests++;
    return this.busy(async () => {
      const url = new URL(request.url);
      const q = (k) => url.searchParams.get(k);
      try {
        switch (url.pathname) {
          case "/create": return await this.create(await request.json());
          case "/get": return await this.get(q("id"), q("owner"), q("wait"));
          case "/batch": return this.batch(q("ids").split(","), q("owner"));
          case "/page": return this.page(q("owner"), Number(q("skip")), Number(q("take")));
          case "/upstream-id": return this.upstreamId(q("id"), q("owner"));
          case "/callback": return await this.callback(q("id"), await request.text());
          case "/delete": return await this.remove(q("id"), q("owner"));
        }
        return json(404, { detail: "Not found" });
      } catch (e) {
        if (e && typeof e.status === "number") return refusal(e);
        console.log(JSON.stringify({ shard_error: String(e?.stack ?? e) }));
        return json(503, { detail: "The gateway could not complete the request; retry later" }, [["retry-after", "1"]]);
      }
    });
  }

  /** The caller's record: from memory while running, else from its row. */
  find(id, owner) {
    const live = this.live.get(id);
    if (live) return live.record.owner === owner ? live.record : null;
    const [row] = this.exec("SELECT owner, record FROM gen WHERE id = ?", id);
    return row && row.owner === owner ? JSON.parse(row.record) : null;
  }

  /** Admission: about `shardCreatesPerS` creates a second, as a token bucket; beyond, a 429. */
  admit() {
    const rate = this.config.shardCreatesPerS;
    const now = Date.now();
    this.bucket.tokens = Math.min(rate, this.bucket.tokens + ((now - this.bucket.at) / 1000) * rate);
    this.bucket.at = now;
    if (this.bucket.tokens >= 1) return void (this.bucket.tokens -= 1);
    const wait = Math.max(1, Math.ceil((1 - this.bucket.tokens) / rate));
    throw refuse(429, "Too many creates at once for this token; retry after the time in Retry-After", [["retry-after", String(wait)]]);
  }

  async create(c) {
    if (!c.key) return this.createNew(c);
    const [done] = this.exec("SELECT hash, id FROM idem WHERE key = ?", c.key);
    const twin = this.creating.get(c.key);
    const same = (hash) => {
      if (hash !== c.hash) throw refuse(422, "This Idempotency-Key was used with another request body");
    };
    if (done) {
      same(done.hash);
      const record = this.find(done.id, c.caller);
      if (record) return json(201, g.recordLuma(record));
    }
    if (twin) {
      same(twin.hash);
      const answer = await twin.answer;
      return new Response(answer.body, answer);
    }
    const answer = this.createNew(c).then(async (r) => ({ status: r.status, headers: [...r.headers], body: await r.text() }));
    this.creating.set(c.key, { hash: c.hash, answer });
    try {
      const a = await answer;
      return new Response(a.body, a);
    } finally {
      this.creating.delete(c.key);
    }
  }

  async createNew({ shard, caller, limits, shardCount, kind, request, parent, echo, origin, key, hash }) {
    this.admit();
    this.withinLimits(caller, limits, shardCount);
    const id = g.gatewayNewId(shard, crypto.getRandomValues(new Uint8Array(10)));
    const secret = g.gatewayCallbackSecret(this.env.UPSTREAM_API_KEY, id);
    const req = { ...request };
    // The Agents API has no callback field: for it the alarm alone polls.
    if (this.config.upstream !== "luma-agents") req.callbackUrl = `${origin}/callbacks/${id}/${secret}`;
    if (this.config.upstream === "apiframe") req.callbackSecret = secret;
    let created;
    this.early.set(id, null);
    try {
      created = await withUpstream(this.env, this.config, 0, (u) => (kind === "extend" ? u.extend(req) : u.generate(req)));
    } catch (e) {
      const heard = this.early.get(id);
      this.early.delete(id);
      const failure = upstreamFailure(e, "create", this.env);
      // The upstream may have made it: keep the record, unconfirmed, for its callback to find.
      if (failure.headers.some(([k]) => k === "x-should-retry")) {
        // Silence proves nothing where no callback ever comes (luma-agents): never send it again.
        const resend = this.config.upstream === "luma-agents" ? null : resendOf(kind, req);
        await keepUnconfirmed(this, { id, caller, parent, echo, key, hash, resend });
        // Its callback came first: it confirms the record now (the upstream is asked).
        if (heard && this.live.has(id)) confirm(this, id, heard).catch(() => {});
        failure.id = id;
        failure.detail += resend
          ? `; the gateway keeps generation ${id} and confirms it if the upstream calls back`
          : `; the gateway keeps generation ${id}, unconfirmed: this upstream cannot call back`;
      }
      throw failure;
    }
    const heard = this.early.get(id);
    this.early.delete(id);
    const now = Date.now();
    const record = { id, upstream_id: created.id, owner: caller, parent, created_at: new Date(now).toISOString(), request: echo, generation: created };
    this.insert(record, now, key, hash);
    if (!TERMINAL.includes(created.state)) {
      const job = { record, created: now, heard: null, due: 0 };
      this.live.set(id, job);
      this.plan(job);
      // A callback already came: the job has moved on upstream, so the alarm asks at once.
      if (heard != null) Object.assign(job, { heard: now, due: now });
    }
    await this.arm();
    this.notify(record, "generation.created");
    return json(201, g.recordLuma(record));
  }

  /** A new row, and its Idempotency-Key. */
  insert(record, now, key, hash) {
    const { id, owner } = record;
    this.exec("INSERT INTO gen (id, owner, created_ms, state, record) VALUES (?, ?, ?, ?, ?)", id, owner, now, record.generation.state, JSON.stringify(record));
    // An empty shard has no sweep planned: the first row plans it.
    this.nextSweep ??= now + this.config.retentionDays * DAY_MS + 1;
    if (key) this.exec("INSERT OR REPLACE INTO idem (key, hash, id, created_ms) VALUES (?, ?, ?, ?)", key, hash, id, now);
  }

  /** CALLER_LIMITS: this shard's share of the caller's creates per minute and day, and jobs running. */
  withinLimits(caller, limits, shardCount) {
    if (!limits || (!limits.perMinute && !limits.perDay && !limits.running)) return;
    const now = Date.now();
    const window = (ms) => this.exec("SELECT COUNT(*) AS n, MIN(created_ms) AS oldest FROM creates WHERE owner = ? AND created_ms > ?", caller, now - ms)[0];
    const minute = window(60_000);
    const day = window(DAY_MS);
    const running = [...this.live.values()].filter((j) => j.record.owner === caller).length;
    const refused = g.gatewayLimitRefusal(limits, shardCount ?? 1, [minute.n, minute.oldest ?? 0, day.n, day.oldest ?? 0, running], now);
    if (refused) {
      const [wait, which] = refused;
      throw refuse(429, `This token is over its limit of ${which}; retry after the time in Retry-After`, [["retry-after", String(wait)]]);
    }
    this.exec("INSERT INTO creates (owner, created_ms) VALUES (?, ?)", caller, now);
    // The caller's own day-old rows, through the (owner, created_ms) index; the sweep takes the rest.
    this.exec("DELETE FROM creates WHERE owner = ? AND created_ms < ?", caller, now - DAY_MS);
  }

  async get(id, owner, wait) {
    let record = this.find(id, owner);
    if (!record) return json(404, { detail: "Generation not found" });
    // ?wait=dreaming|completed: held here, where every waiting request shares the object's
    // billed time, until that state or a later one, or LONG_POLL_MS (25 s).
    const wanted = RANK[wait] ?? 0;
    const until = Date.now() + this.longPollMs;
    while (RANK[record.generation.state] < wanted && Date.now() < until) {
      await this.changed(id, until - Date.now());
      record = this.find(id, owner);
      if (!record) return json(404, { detail: "Generation not found" });
    }
    return json(200, g.recordLuma(record), this.expected(id));
  }

  /** `x-expected-remaining-ms` for a running job whose kind the gateway has learned (docs/protocols.md). */
  expected(id) {
    const job = this.live.get(id);
    const ms = job?.sched && g.recordExpectedRemaining(job.sched, job.created, Date.now());
    return ms === undefined ? [] : [["x-expected-remaining-ms", String(ms)]];
  }

  batch(ids, owner) {
    const generations = ids.map((id) => this.find(id, owner)).filter(Boolean).map((r) => g.recordLuma(r));
    return json(200, { generations });
  }

  /** The caller's rows newest first: `[created_ms, id, generation]`, `take` of them after `skip`. */
  page(owner, skip, take) {
    const rows = this.exec("SELECT id, created_ms, owner, record FROM gen ORDER BY created_ms DESC, id DESC LIMIT ? OFFSET ?", take, skip);
    return json(200, rows.filter((r) => r.owner === owner).map((r) => [r.created_ms, r.id, g.recordLuma(this.live.get(r.id)?.record ?? JSON.parse(r.record))]));
  }

  upstreamId(id, owner) {
    const record = this.find(id, owner);
    return record ? json(200, { upstream_id: record.upstream_id }) : json(404, { detail: "Generation not found" });
  }

  /** The secret was checked by the Worker; the body is never read: the upstream is asked. */
  async callback(id, body) {
    const job = this.live.get(id);
    if (!job && this.early.has(id)) {
      this.early.set(id, body);
      return json(200, { ok: true });
    }
    if (!job) {
      const [row] = this.exec("SELECT id FROM gen WHERE id = ?", id);
      return row ? json(200, { ok: true }) : json(404, { detail: "Generation not found" });
    }
    if (!job.record.upstream_id) {
      await confirm(this, id, body);
      return json(200, { ok: true });
    }
    job.heard = Date.now();
    this.silentJobs = 0;
    await this.refresh(id);
    const still = this.live.get(id);
    if (still) this.plan(still);
    return json(200, { ok: true });
  }

  async remove(id, owner) {
    const record = this.find(id, owner);
    if (!record) return json(404, { detail: "Generation not found" });
    // Where the upstream can delete (luma), its copy goes too.
    const call = g.upstreamDeleteRequest(this.config.upstream, this.config.baseUrl, this.env.UPSTREAM_API_KEY, record.upstream_id);
    if (call) {
      const r = await fetch(call.url, { method: call.method, headers: call.headers }).catch((e) => e);
      if (!(r instanceof Response)) throw upstreamFailure({ code: "network", message: String(r) }, "delete", this.env);
      if (!r.ok && r.status !== 404) throw upstreamFailure({ code: "server_error", status: r.status }, "delete", this.env);
    }
    this.exec("DELETE FROM gen WHERE id = ?", id);
    this.live.delete(id);
    this.wake(id);
    return new Response(null, { status: 204 });
  }

  /** Resolves on the generation's next change or after `ms`; a timed-out waiter leaves. */
  changed(id, ms) {
    return new Promise((resolve) => {
      const set = this.waiters.get(id) ?? new Set();
      this.waiters.set(id, set);
      const wake = () => {
        clearTimeout(timer);
        meter.waiting--;
        set.delete(wake);
        if (!set.size && this.waiters.get(id) === set) this.waiters.delete(id);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      meter.waiting++;
      set.add(wake);
    });
  }

  wake(id) {
    for (const w of [...(this.waiters.get(id) ?? [])]) w();
  }

  /**
   * One upstream read per job at a time, and at most one per READ_GAP_MS: callbacks that come
   * while a read is in flight or just done share the next one (a burst of replays is one read).
   */
  refresh(id) {
    let p = this.refreshing.get(id);
    if (!p) {
      const wait = (this.live.get(id)?.readAt ?? 0) + READ_GAP_MS - Date.now();
      p = (wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve())
        .then(() => this.read(id))
        .finally(() => this.refreshing.delete(id));
      this.refreshing.set(id, p);
    }
    return p;
  }

  async read(id) {
    if (!this.live.has(id)) return;
    meter.upstream_reads++;
    this.live.get(id).readAt = Date.now();
    const upstreamId = this.live.get(id).record.upstream_id;
    let fresh;
    try {
      fresh = await withUpstream(this.env, this.config, 1, (u) => u.get(upstreamId));
    } catch (e) {
      // Logged, and asked again with backoff (or when the upstream says), unless a callback comes first.
      const job = this.live.get(id);
      if (job) {
        job.failures = (job.failures ?? 0) + 1;
        const backoff = Math.min(300_000, 1000 * 2 ** job.failures) * (0.5 + Math.random() / 2);
        job.retryAt = Date.now() + Math.max(backoff, e?.retryAfterMs ?? 0);
      }
      console.log(JSON.stringify({ poll_error: e?.code ?? String(e), id }));
      return;
    }
    // Applied to the record as it is now (not as it was before the await): states only move on.
    const job = this.live.get(id);
    if (!job) return;
    job.failures = 0;
    job.retryAt = 0;
    this.apply(id, job, fresh);
    this.watch(job, true);
  }

  apply(id, job, fresh) {
    const before = job.record.generation.state;
    const out = g.recordApply(job.record, fresh);
    job.record = out.record;
    if (!out.changed) return;
    const state = out.record.generation.state;
    // A row is written once per state change; progress alone stays in memory.
    if (state !== before) this.exec("UPDATE gen SET state = ?, record = ? WHERE id = ?", state, JSON.stringify(out.record), id);
    if (out.terminal) this.live.delete(id);
    this.wake(id);
    if (state !== before) this.notify(out.record, "generation.updated");
  }

  /** When the alarm should ask about `job`: only while its callbacks are silent. */
  plan(job) {
    if (!job.record.upstream_id) return void (job.due = (job.record.resend ? job.record.resend_at : job.record.unconfirmed_until) ?? Date.now());
    const { at } = this.watch(job, false);
    job.due = at === -2 ? Date.now() : Math.max(at, job.retryAt ?? 0);
  }

  /**
   * One step of the job's watch (gateway::watch_step, on `observed`: an answer just read): its
   * next poll, its schedule kept in `job.sched`, and a completion's length for the model.
   */
  watch(job, observed) {
    const model = job.sched ? undefined : this.learning.model();
    const canCallBack = this.config.upstream !== "luma-agents";
    const step = g.recordWatch(job.record, job.created, job.heard ?? undefined, Date.now(), this.typical,
      canCallBack && this.silentJobs < SILENT_JOBS, job.sched, model, observed);
    // Until the model's first read answers, a new job is planned cold and not kept: its next
    // step plans it again, from the model.
    if (job.sched || model !== undefined || observed) job.sched = step.saved;
    if (step.learned) this.learning.report(step.learned);
    if (observed && step.at === -1 && job.heard === null && canCallBack) this.silentJobs++;
    return step;
  }

  /** Sets the alarm to the earliest due job or sweep, writing it only when it moves earlier or lapsed. */
  async arm() {
    let next = this.nextSweep ?? Infinity;
    for (const job of this.live.values()) next = Math.min(next, job.due);
    if (next === Infinity || (this.alarmAt !== null && this.alarmAt <= next)) return;
    this.alarmAt = next;
    meter.rows_written++;
    await this.ctx.storage.setAlarm(Math.max(next, Date.now() + 10));
  }

  async alarm() {
    meter.do_requests++;
    meter.alarms++;
    this.alarmAt = null;
    await this.busy(async () => {
      try {
        const now = Date.now();
        const due = [...this.live.entries()].filter(([, job]) => job.due <= now);
        await pool(due, AT_ONCE, ([id, job]) => this.poll(id, job, now));
        if (this.nextSweep !== null && this.nextSweep <= now) this.sweep(now);
      } catch (e) {
        console.log(JSON.stringify({ alarm_error: String(e?.stack ?? e) }));
      } finally {
        await this.arm();
      }
    });
  }

  async poll(id, job, now) {
    // Unconfirmed: nothing to ask the upstream about.
    if (!job.record.upstream_id) return pollUnconfirmed(this, id, job, now);
    if (!job.sched) {
      // Planned before the learned model was read: planned again with it, maybe for later.
      this.plan(job);
      if (job.sched && job.due > now) return;
    }
    job.due = Infinity; // until planned again below
    if (this.watch(job, false).at === -2) {
      const failed = { ...job.record.generation, state: "failed", failure_reason: "The upstream did not finish the job within 24 hours" };
      return this.apply(id, job, failed);
    }
    meter.upstream_polls++;
    await this.refresh(id);
    const still = this.live.get(id);
    if (still && still.due === Infinity) this.plan(still);
    // The schedule outlives an eviction: written per poll (callbacks' reads stay in memory).
    if (still?.sched) this.exec("UPDATE gen SET sched = ? WHERE id = ?", still.sched, id);
  }

  /** Retention: rows older than RETENTION_DAYS go, a batch per alarm run. */
  sweep(now) {
    const cutoff = now - this.config.retentionDays * DAY_MS;
    const gone = this.exec(`DELETE FROM gen WHERE id IN (SELECT id FROM gen WHERE created_ms < ? ORDER BY created_ms LIMIT ${SWEEP_BATCH}) RETURNING id`, cutoff);
    for (const { id } of gone) this.live.delete(id);
    this.exec("DELETE FROM idem WHERE created_ms < ?", now - Math.max(IDEMPOTENCY_MS, this.config.retentionDays * DAY_MS));
    this.exec("DELETE FROM creates WHERE created_ms < ?", now - DAY_MS);
    const [oldest] = this.exec("SELECT MIN(created_ms) AS t FROM gen");
    this.nextSweep = gone.length === SWEEP_BATCH ? now + 1000 : oldest?.t != null ? oldest.t + this.config.retentionDays * DAY_MS + 1 : null;
  }

  /** A Standard Webhooks event to the app; never awaited by the caller, never failing it. */
  notify(record, type) {
    const { appWebhookUrl: url, appWebhookSecret: secret } = this.config;
    if (!url) return;
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: g.recordLuma(record) });
    const headers = g.signWebhook(secret, `msg_${crypto.randomUUID()}`, Math.floor(Date.now() / 1000), body);
    const send = () => fetch(url, { method: "POST", body, headers: [["content-type", "application/json"], ...headers] });
    this.outbox = this.outbox.then(send).catch(() => {});
  }
}
