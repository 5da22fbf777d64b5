// The gateway learns how long jobs take, across all its callers (one LearnedLengths object per
// upstream), and its alarm plans each job's upstream polls from that when no callback comes;
// each job's schedule is kept across alarms; the model survives a restart.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test, after } from "node:test";
import { admin, gateway, stopAll } from "../dev.mjs";

after(stopAll);

const V1 = "/dream-machine/v1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const meter = async (gw) => (await fetch(`${gw.base}/__meter`)).json();

/**
 * `n` jobs from `token`, waited on with long-polls: the alarm's upstream polls per job, how
 * long after the job's end each was seen complete (ms), and the expected-remaining header
 * on each job's first answer after its create.
 */
async function jobs(gw, token, n, jobMs, fields = { resolution: "720p", duration: "5s" }) {
  const before = (await meter(gw)).upstream_polls;
  const runs = await Promise.all(Array.from({ length: n }, async (_, i) => {
    const start = Date.now();
    const c = await gw.call("POST", `${V1}/generations/video`, { token, body: { ...fields, prompt: `learned job ${token} ${i} ${start}` } });
    assert.equal(c.status, 201, JSON.stringify(c.json));
    const first = await gw.call("GET", `${V1}/generations/${c.json.id}`, { token });
    const header = first.headers.get("x-expected-remaining-ms");
    let state = first.json.state;
    while (state !== "completed") state = (await gw.call("GET", `${V1}/generations/${c.json.id}?wait=completed`, { token })).json.state;
    return { lag: Date.now() - start - jobMs, header: header === null ? null : Number(header) };
  }));
  const polls = ((await meter(gw)).upstream_polls - before) / n;
  return { polls, lags: runs.map((r) => r.lag), headers: runs.map((r) => r.header) };
}

test("luma-agents: after jobs complete, a fresh caller's jobs are polled less, still seen promptly, also after a restart", async () => {
  const jobMs = 12_000;
  await admin("config", { job_ms: jobMs, callbacks: false });
  const dir = mkdtempSync(join(tmpdir(), "gateway-lengths-"));
  // No typical length configured: unlearned, the alarm polls on the core's cold 3 s loop.
  const vars = { UPSTREAM_TYPICAL_JOB_MS: "", GATEWAY_METER: "1", CLIENT_TOKENS: "tok-a, tok-b, tok-c" };
  const first = await gateway("luma-agents", vars, { persist: dir });
  const cold = await jobs(first, "tok-a", 10, jobMs);
  await sleep(2_500); // the last reports leave the shard
  const warm = await jobs(first, "tok-b", 3, jobMs);
  console.log(`polls per job: cold ${cold.polls}, learned ${warm.polls}; lag ms cold ${cold.lags}, learned ${warm.lags}; expected remaining ${warm.headers}`);
  assert.ok(cold.headers.every((h) => h === null), "nothing learned yet: no expected time");
  assert.ok(warm.polls < cold.polls, `learned ${warm.polls} polls per job, unlearned ${cold.polls}`);
  assert.ok(warm.lags.every((l) => l < 4_500), `learned jobs seen late: ${warm.lags}`);
  assert.ok(warm.headers.every((h) => h > jobMs / 2 && h < 2 * jobMs), `expected remaining ${warm.headers}`);
  await first.dispose();

  // The model is in the learning object's storage: a restarted gateway plans from it at once.
  const second = await gateway("luma-agents", vars, { persist: dir });
  const again = await jobs(second, "tok-c", 2, jobMs);
  console.log(`after a restart: ${again.polls} polls per job, lag ms ${again.lags}, expected remaining ${again.headers}`);
  assert.ok(again.polls < cold.polls, `after a restart ${again.polls} polls per job`);
  assert.ok(again.headers.every((h) => h > jobMs / 2 && h < 2 * jobMs), `expected remaining ${again.headers}`);
  await second.dispose();
  rmSync(dir, { recursive: true, force: true });
  await admin("config", { job_ms: 600, callbacks: true });
});

test("apiframe without callbacks: its progress is kept across alarms, so polls follow the rate, not a fixed interval", async () => {
  const jobMs = 12_000;
  await admin("config", { job_ms: jobMs, callbacks: false });
  // With a typical length of 600 ms the pace is 100 ms: a schedule rebuilt on every wake saw one
  // progress sample at a time and asked every 3 paces (300 ms) through the job's 10 s of progress.
  const gw = await gateway("apiframe", { UPSTREAM_TYPICAL_JOB_MS: "600", GATEWAY_METER: "1" });
  const rebuilt = ((jobMs * 0.85) / 300);
  const run = await jobs(gw, "tok-a", 1, jobMs, {});
  console.log(`apiframe: ${run.polls} polls (a fixed 300 ms would make ~${Math.round(rebuilt)}), lag ${run.lags} ms`);
  assert.ok(run.polls < rebuilt / 2, `${run.polls} polls`);
  assert.ok(run.lags[0] < 2_000, `seen ${run.lags[0]} ms late`);
  await gw.dispose();
  await admin("config", { job_ms: 600, callbacks: true });
});
