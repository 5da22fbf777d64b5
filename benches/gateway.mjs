// make bench-gateway: what a job costs on Cloudflare's published prices, counted per job in
// one run of long-poll clients with callbacks on; the latency a create gains through the
// gateway beside a bare Worker proxy in the same Miniflare; and how soon a waiting long-poll
// answers after the upstream's callback.
import { Miniflare } from "miniflare";
import { admin, emulator, gateway, stopAll } from "../worker/dev.mjs";

// Cloudflare's prices, Workers Paid plan, as published at
// https://developers.cloudflare.com/workers/platform/pricing/ and
// https://developers.cloudflare.com/durable-objects/platform/pricing/ (read 2026-11-30):
// included monthly allowances are left out, so these are the marginal costs.
const PRICE = {
  workerRequest: 0.3 / 1e6, // Workers Standard, per request (CPU time is not counted here)
  doRequest: 0.15 / 1e6, // Durable Objects requests, alarm invocations included
  doGbSecond: 12.5 / 1e6, // Durable Objects duration, per GB-s
  doGb: 128 / 1024, // an object is billed at 128 MB while active
  rowWritten: 1.0 / 1e6, // SQLite-backed storage, rows written
};

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const V1 = "/dream-machine/v1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };
const fixed = (n, d = 2) => Number(n).toFixed(d);

await admin("reset", {});

// --- Cost: long-poll clients, callbacks on. Time is scaled 20:1 so a 6 s job with 1.25 s
// holds sees as many long-polls as Luma's ~2-minute job with the gateway's 25 s holds. Jobs
// arrive at 20 a second, all from one browser token (one shard).
const JOB_MS = 6000, RATE = 20, SECONDS = 15;
await admin("config", { job_ms: JOB_MS, callbacks: true });
const metered = await gateway("luma", { GATEWAY_METER: "1", LONG_POLL_MS: "1250", UPSTREAM_TYPICAL_JOB_MS: String(JOB_MS) });
const meter = async () => (await fetch(`${metered.base}/__meter`)).json();
const m0 = await meter();
const job = async (i) => {
  const c = await metered.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `a costed job ${i}` } });
  if (c.status !== 201) throw new Error(`create answered ${c.status}`);
  // As our client does with a long-poll provider: wait for dreaming, then for completed.
  let g = (await metered.call("GET", `${V1}/generations/${c.json.id}?wait=dreaming`)).json;
  while (g.state !== "completed" && g.state !== "failed") g = (await metered.call("GET", `${V1}/generations/${g.id}?wait=completed`)).json;
  return g.state;
};
const running = [];
for (let i = 0; i < RATE * SECONDS; i++) {
  running.push(job(i));
  await sleep(1000 / RATE);
}
const states = await Promise.all(running);
await sleep(500); // the last callbacks land
const m1 = await meter();
const jobs = states.length;
const per = (k) => (m1[k] - m0[k]) / jobs;
const busyS = per("do_busy_ms") / 1000;
// The learning object's requests (reports, model reads) are Durable Object requests too.
const doRequests = per("do_requests") + per("lengths_requests");
const usd = 1e6 * (per("worker_requests") * PRICE.workerRequest + doRequests * PRICE.doRequest
  + per("rows_written") * PRICE.rowWritten + busyS * PRICE.doGb * PRICE.doGbSecond);
console.log(`cost run: ${jobs} jobs (${states.filter((s) => s === "completed").length} completed) of ${JOB_MS} ms at ${RATE}/s from one token, long-poll clients, callbacks on; upstream reads per job ${fixed(per("upstream_reads"))}, alarm runs ${m1.alarms - m0.alarms}`);
await metered.dispose();

// --- Create latency: the gateway and a bare Worker proxy, each against the emulator, in the
// same Miniflare. Jobs stand still (no callback or alarm competes with the timing).
await admin("config", { job_ms: 3_600_000, callbacks: true });
const gw = await gateway("luma", { UPSTREAM_TYPICAL_JOB_MS: "600000" });
const bare = new Miniflare({
  modules: true,
  compatibilityDate: "2025-01-01",
  bindings: { UPSTREAM: emulator },
  script: `export default { async fetch(request, env) {
    const url = new URL(request.url);
    const r = await fetch(env.UPSTREAM + url.pathname, { method: request.method, headers: { authorization: "Bearer test-key" }, body: await request.text() });
    return new Response(r.body, { status: r.status, headers: { "content-type": "application/json" } });
  } };`,
});
const bareBase = String(await bare.ready).replace(/\/$/, "");
// The floor (issue 11): a minimal Worker → Durable Object → upstream → one SQLite row written.
const floor = new Miniflare({
  modules: true,
  compatibilityDate: "2025-01-01",
  bindings: { UPSTREAM: emulator },
  durableObjects: { FLOOR: { className: "Floor", useSQLite: true } },
  script: `export class Floor {
    constructor(ctx) { this.sql = ctx.storage.sql; this.sql.exec("CREATE TABLE IF NOT EXISTS t (id TEXT PRIMARY KEY, body TEXT)"); }
    async fetch(request) {
      const r = await fetch(request.headers.get("x-upstream"), { method: "POST", headers: { authorization: "Bearer test-key" }, body: await request.text() });
      const text = await r.text();
      this.sql.exec("INSERT INTO t (id, body) VALUES (?, ?)", crypto.randomUUID(), text);
      return new Response(text, { status: r.status, headers: { "content-type": "application/json" } });
    }
  }
  export default { async fetch(request, env) {
    const url = new URL(request.url);
    const stub = env.FLOOR.get(env.FLOOR.idFromName("caller"));
    return stub.fetch("http://floor/", { method: "POST", headers: { "x-upstream": env.UPSTREAM + url.pathname }, body: await request.text() });
  } };`,
});
const floorBase = String(await floor.ready).replace(/\/$/, "");
const body = JSON.stringify({ model: "ray-2", prompt: "A jellyfish to time" });
const post = (base, auth) => fetch(`${base}${V1}/generations/video`, { method: "POST", body, headers: { authorization: auth } }).then((r) => r.text());
const direct = [], proxied = [], floored = [], through = [];
for (let i = 0; i < 30; i++) await Promise.all([post(emulator, "Bearer test-key"), post(bareBase, "x"), post(floorBase, "x"), post(gw.base, "Bearer tok-a")]); // warm-up
// 1,000 each: a p99 then rests on the 10 slowest creates, not on 3.
for (let i = 0; i < 1000; i++) {
  direct.push(await time(() => post(emulator, "Bearer test-key")));
  proxied.push(await time(() => post(bareBase, "x")));
  floored.push(await time(() => post(floorBase, "x")));
  through.push(await time(() => post(gw.base, "Bearer tok-a")));
}
await bare.dispose();
await floor.dispose();
const over = (xs, q) => Math.max(0, quantile(xs, q) - quantile(direct, q));
console.log(`create: direct p50 ${fixed(quantile(direct, 0.5))} ms p99 ${fixed(quantile(direct, 0.99))} ms; bare proxy p50 ${fixed(quantile(proxied, 0.5))} ms p99 ${fixed(quantile(proxied, 0.99))} ms; gateway p50 ${fixed(quantile(through, 0.5))} ms p99 ${fixed(quantile(through, 0.99))} ms`);

// --- Callback to answer: a long-poll is waiting when the emulator calls back (alarms are far off).
await admin("config", { job_ms: 300, callbacks: true });
const lags = [];
for (let i = 0; i < 10; i++) {
  const g = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `callback lag ${i}` } });
  const upstreamJob = (await admin("generations")).at(-1);
  await gw.call("GET", `${V1}/generations/${g.json.id}?wait=completed`);
  lags.push(Date.now() - (upstreamJob.created_unix_ms + upstreamJob.length_ms));
}
await stopAll();
console.log(`completion to long-poll answer via callback: p50 ${quantile(lags, 0.5)} ms, max ${Math.max(...lags)} ms over ${lags.length} jobs`);
console.log(`gateway-cost: usd_per_million_jobs=${fixed(usd)} worker_requests_per_job=${fixed(per("worker_requests"))} do_requests_per_job=${fixed(doRequests)} rows_written_per_job=${fixed(per("rows_written"))} do_busy_s_per_job=${fixed(busyS, 4)} upstream_polls_per_job=${fixed(per("upstream_polls"))}`);
console.log(`gateway: added_p50_ms=${fixed(over(through, 0.5))} added_p99_ms=${fixed(over(through, 0.99))} floor_p50_ms=${fixed(over(floored, 0.5))} floor_p99_ms=${fixed(over(floored, 0.99))} callback_to_answer_p50_ms=${quantile(lags, 0.5)}`);
console.log(`gateway-create: added_p50_ms=${fixed(over(through, 0.5))} added_p99_ms=${fixed(over(through, 0.99))} bare_proxy_p50_ms=${fixed(over(proxied, 0.5))} bare_proxy_p99_ms=${fixed(over(proxied, 0.99))}`);
