// The gateway's storage in workerd (Miniflare): generations as rows in per-caller shard
// objects, routed by the shard named in each id; list merged across shards; retention; the
// alarm polling only jobs whose callbacks are silent; memory and waiters that do not pile up.
import assert from "node:assert/strict";
import { test, after } from "node:test";
import { admin, gateway, stopAll } from "../dev.mjs";

after(stopAll);

const V1 = "/dream-machine/v1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const meter = async (gw) => (await fetch(`${gw.base}/__meter`)).json();
const shardOf = (id) => id.slice(0, 13);
/** Upstream reads the emulator served: every request to a provider route that is not a create. */
const upstreamGets = async () => {
  const c = await admin("counters");
  const sum = (o) => Object.values(o).reduce((n, v) => n + v, 0);
  return sum(c.requests) - sum(c.creates_by_key);
};

test("a backend token's jobs spread over its shards; get, batch, list and delete route by id", async () => {
  await admin("config", { job_ms: 3_600_000, callbacks: true });
  const gw = await gateway("luma", { CLIENT_TOKENS: "tok-a, tok-b, tok-c:3", GATEWAY_METER: "1" });
  const ids = [];
  for (let i = 0; i < 12; i++) {
    const r = await gw.call("POST", `${V1}/generations/video`, { token: "tok-c", body: { model: "ray-2", prompt: `sharded clip ${i}` } });
    assert.equal(r.status, 201, JSON.stringify(r.json));
    ids.unshift(r.json.id);
    await sleep(2); // distinct creation times: the list's order is then the creation order
  }
  const shards = new Set(ids.map(shardOf));
  assert.ok(shards.size >= 2 && shards.size <= 3, `12 jobs over ${shards.size} shards`);
  const browser = await gw.call("POST", `${V1}/generations/video`, { token: "tok-a", body: { model: "ray-2", prompt: "a browser's clip" } });
  assert.ok(!shards.has(shardOf(browser.json.id)), "another caller, other shards");
  for (const id of ids) assert.equal((await gw.call("GET", `${V1}/generations/${id}`, { token: "tok-c" })).json.id, id);
  assert.equal((await gw.call("GET", `${V1}/generations/${ids[0]}`, { token: "tok-a" })).status, 404, "only the caller's own");

  let before = (await meter(gw)).do_requests;
  const batch = await gw.call("GET", `${V1}/generations?ids=${ids.join(",")},${browser.json.id}`, { token: "tok-c" });
  assert.deepEqual(batch.json.generations.map((x) => x.id), ids, "the caller's, in the order asked");
  assert.ok((await meter(gw)).do_requests - before <= 3, "a batch wakes each shard at most once");

  before = (await meter(gw)).do_requests;
  const page = async (q) => (await gw.call("GET", `${V1}/generations?${q}`, { token: "tok-c" })).json;
  const all = await page("limit=100");
  assert.equal((await meter(gw)).do_requests - before, 3, "a list asks each of the caller's shards once");
  assert.deepEqual(all.generations.map((x) => x.id), ids, "merged newest first");
  const seen = [];
  for (let offset = 0; offset < 12; offset += 5) {
    const p = await page(`limit=5&offset=${offset}`);
    assert.equal(p.has_more, offset + 5 < 12, `has_more at ${offset}`);
    seen.push(...p.generations.map((x) => x.id));
  }
  assert.deepEqual(seen, ids, "pages cover the list once, in order");
  assert.deepEqual((await page("limit=0")).generations, [], "limit=0 is an empty page");
  assert.equal((await gw.call("DELETE", `${V1}/generations/${ids[3]}`, { token: "tok-c" })).status, 204);
  assert.deepEqual((await page("limit=100")).generations.map((x) => x.id), ids.filter((_, i) => i !== 3));
  assert.equal((await gw.call("GET", `${V1}/generations/${ids[3]}`, { token: "tok-c" })).status, 404);
  await gw.dispose();
  await admin("config", { job_ms: 600 });
});

test("retention: the shard's alarm deletes records older than RETENTION_DAYS", async () => {
  await admin("config", { job_ms: 300, callbacks: true });
  // 0.00003 days is 2.6 s.
  const gw = await gateway("luma", { RETENTION_DAYS: "0.00003" });
  const a = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "kept for a moment" } });
  assert.equal((await gw.call("GET", `${V1}/generations/${a.json.id}?wait=completed`)).json.state, "completed");
  assert.equal((await gw.call("GET", `${V1}/generations?limit=10`)).json.generations.length, 1);
  await sleep(4000);
  assert.equal((await gw.call("GET", `${V1}/generations/${a.json.id}`)).status, 404, "gone after the retention time");
  assert.deepEqual((await gw.call("GET", `${V1}/generations?limit=10`)).json.generations, []);
  const b = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "a new one" } });
  assert.equal((await gw.call("GET", `${V1}/generations/${b.json.id}`)).status, 200, "new records are kept");
  await gw.dispose();
});

for (const upstream of ["luma", "aimlapi", "apiframe", "gptge"]) {
  test(`${upstream}: with callbacks on, the alarm polls at most twice per job; with them off, it polls`, async () => {
    const jobs = 4;
    const run = async (callbacks) => {
      await admin("config", { job_ms: 1500, callbacks });
      const gw = await gateway(upstream, { UPSTREAM_TYPICAL_JOB_MS: "1500", GATEWAY_METER: "1" });
      const [gets, calls] = [await upstreamGets(), (await admin("counters")).callbacks_sent];
      const created = await Promise.all(Array.from({ length: jobs }, (_, i) =>
        gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `watched job ${i}` } })));
      for (const c of created) assert.equal((await gw.call("GET", `${V1}/generations/${c.json.id}?wait=completed`)).json.state, "completed");
      await sleep(300); // late callbacks land
      const m = await meter(gw);
      await gw.dispose();
      return { polls: m.upstream_polls / jobs, gets: (await upstreamGets()) - gets, callbacks: (await admin("counters")).callbacks_sent - calls };
    };
    const on = await run(true);
    assert.ok(on.polls <= 2, `${on.polls} polls per job with callbacks on`);
    assert.ok(on.callbacks >= jobs, "the upstream called back");
    assert.ok(on.gets <= on.callbacks + 2 * jobs, `upstream reads ${on.gets}: one per callback, at most two polls per job`);
    const off = await run(false);
    assert.equal(off.callbacks, 0);
    assert.ok(off.polls >= 1 && off.gets >= jobs, `silent callbacks: the alarm polled (${off.polls} per job)`);
    await admin("config", { callbacks: true });
  });
}

test("luma-agents: it has no callbacks, so the alarm polls each job to its end", async () => {
  const jobs = 4;
  await admin("config", { job_ms: 1500, callbacks: true });
  const gw = await gateway("luma-agents", { UPSTREAM_TYPICAL_JOB_MS: "1500", GATEWAY_METER: "1" });
  const [gets, calls] = [await upstreamGets(), (await admin("counters")).callbacks_sent];
  const created = await Promise.all(Array.from({ length: jobs }, (_, i) =>
    gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt: `polled job ${i}` } })));
  for (const c of created) assert.equal((await gw.call("GET", `${V1}/generations/${c.json.id}?wait=completed`)).json.state, "completed");
  const polls = (await meter(gw)).upstream_polls / jobs;
  await gw.dispose();
  assert.equal((await admin("counters")).callbacks_sent, calls, "nothing called back");
  assert.ok(polls >= 1 && polls <= 6, `${polls} polls per job, on the core's schedule`);
  assert.ok((await upstreamGets()) - gets >= jobs, "each job was read upstream");
});

test("nothing per job stays: wasm memory is flat in the number of jobs, timed-out waiters leave", async () => {
  await admin("config", { job_ms: 100, callbacks: true });
  const gw = await gateway("luma", { GATEWAY_METER: "1", LONG_POLL_MS: "300" });
  const wave = async (n) => {
    for (let i = 0; i < n; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const c = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `memory job ${i + j}` } });
        let state = c.json.state;
        for (let k = 0; k < 50 && state !== "completed"; k++) state = (await gw.call("GET", `${V1}/generations/${c.json.id}?wait=completed`)).json.state;
        assert.equal(state, "completed");
      }));
    }
  };
  await wave(100);
  const warm = (await meter(gw)).wasm_bytes;
  await wave(300);
  const grown = (await meter(gw)).wasm_bytes - warm;
  console.log(`wasm memory: ${warm} bytes after 100 jobs, +${grown} after 300 more`);
  assert.ok(grown <= 64 * 1024, `wasm memory grew ${grown} bytes over 300 more jobs`);
  // A long-poll that times out (LONG_POLL_MS here is 300 ms) leaves nothing behind.
  await admin("config", { job_ms: 3_600_000 });
  const stuck = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "never done" } });
  const waits = await Promise.all(Array.from({ length: 5 }, () => gw.call("GET", `${V1}/generations/${stuck.json.id}?wait=completed`)));
  assert.ok(waits.every((w) => w.json.state === "queued" || w.json.state === "dreaming"));
  assert.equal((await meter(gw)).waiting, 0, "no waiter is left");
  await gw.dispose();
  await admin("config", { job_ms: 600 });
});

test("admission: a shard past SHARD_CREATES_PER_S answers 429 with Retry-After, never a 5xx", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 3_600_000, callbacks: true });
  const gw = await gateway("luma", { SHARD_CREATES_PER_S: "2" });
  const before = (await admin("counters")).creates_accepted;
  const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
    gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `burst ${i}` } })));
  const created = answers.filter((a) => a.status === 201).length;
  const refused = answers.filter((a) => a.status === 429);
  assert.equal(created + refused.length, 8, answers.map((a) => a.status).join(","));
  assert.ok(created >= 2 && created <= 3, `${created} admitted at 2 a second`);
  assert.ok(refused.every((a) => a.headers.get("retry-after") === "1" && a.json.detail));
  assert.equal((await admin("counters")).creates_accepted - before, created, "refused creates reach no upstream");
  await gw.dispose();
});

test("overload: beyond the creates an isolate runs at once, a create is a 503 with Retry-After at once; our client's retries take them all", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 500, callbacks: true });
  const gw = await gateway("luma", { CREATES_RUNNING: "1", CLIENT_TOKENS: "tok-a:4" });
  const before = (await admin("counters")).creates_accepted;
  const answers = await Promise.all(Array.from({ length: 12 }, (_, i) =>
    gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `overload ${i}` }, headers: { "idempotency-key": `overload-${i}` } })));
  const created = answers.filter((a) => a.status === 201).length;
  const refused = answers.filter((a) => a.status === 503);
  assert.equal(created + refused.length, 12, answers.map((a) => a.status).join(","));
  assert.ok(refused.length > 0, "one at a time: the others are refused");
  for (const r of refused) {
    const [s, ms] = [Number(r.headers.get("retry-after")), Number(r.headers.get("retry-after-ms"))];
    assert.ok(s >= 1 && s <= 30 && ms >= 250 && Math.ceil(ms / 1000) === s, `${s} s, ${ms} ms`);
    assert.match(r.json.detail, /busy/);
  }
  assert.equal((await admin("counters")).creates_accepted - before, created, "refused creates reach no upstream");
  // Our client waits as told and retries with its key: every job is made, once.
  const { LumaClient } = await import("../../pkg/node.js");
  const client = new LumaClient({ provider: "gateway", apiKey: "tok-a", baseUrl: `${gw.base}${V1}`, maxRetries: 10 });
  const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => client.generate({ prompt: `overload by our client ${i}` })));
  assert.equal(new Set(jobs.map((j) => j.id)).size, 12);
  const made = (await admin("generations")).filter((j) => j.prompt.startsWith("overload by our client"));
  assert.equal(made.length, 12, "each job made once");
  await gw.dispose();
});

test("restart: a gateway stopped mid-job and started on the same storage finishes every job", async () => {
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = mkdtempSync(join(tmpdir(), "gateway-restart-"));
  await admin("config", { job_ms: 1500, callbacks: true });
  const vars = { UPSTREAM_TYPICAL_JOB_MS: "1500", CLIENT_TOKENS: "tok-a, tok-b:2" };
  const first = await gateway("gptge", vars, { persist: dir });
  const ids = [];
  for (let i = 0; i < 4; i++) ids.push((await first.call("POST", `${V1}/generations/video`, { token: "tok-b", body: { model: "ray-2", prompt: `survives ${i}` } })).json.id);
  await first.dispose();
  // The jobs finish while the gateway is down: their callbacks find nobody (another port after).
  await sleep(2000);
  const second = await gateway("gptge", vars, { persist: dir });
  for (const id of ids) {
    const done = await second.call("GET", `${V1}/generations/${id}?wait=completed`, { token: "tok-b" });
    assert.equal(done.json.state, "completed", id);
  }
  const list = await second.call("GET", `${V1}/generations?limit=10`, { token: "tok-b" });
  assert.deepEqual(list.json.generations.map((x) => x.id).sort(), [...ids].sort());
  await second.dispose();
  rmSync(dir, { recursive: true, force: true });
  await admin("config", { job_ms: 600 });
});
