// Creates whose upstream answer is lost (issue 11): the record stays, unconfirmed; a retry with
// the same Idempotency-Key gets it and makes nothing twice; the upstream's callback confirms it
// and the job goes on; a record nobody confirms is created once more after a silence.
import assert from "node:assert/strict";
import { test, after } from "node:test";
import { admin, gateway, stopAll } from "../dev.mjs";

after(stopAll);

const V1 = "/dream-machine/v1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const madeWith = async (prompt) => (await admin("generations")).filter((j) => j.prompt === prompt);

async function settles(gw, id, state) {
  for (let i = 0; i < 100; i++) {
    const r = await gw.call("GET", `${V1}/generations/${id}`);
    if (r.json?.state === state) return r.json;
    await sleep(100);
  }
  throw new Error(`${id} never became ${state}`);
}

for (const upstream of ["aimlapi", "apiframe", "gptge"]) {
  test(`${upstream}: a lost create answer leaves a record the callback confirms, and a keyed retry makes nothing twice`, async () => {
    await admin("reset", {});
    await admin("config", { job_ms: 1500, callbacks: true });
    const gw = await gateway(upstream, { UPSTREAM_TYPICAL_JOB_MS: "60000" });
    const prompt = `an orphan-to-be on ${upstream}`;
    await admin("faults", { seed: 1, rate_reset: 1, reset_after_create: true });
    const headers = { "idempotency-key": `orphan-${upstream}` };
    const first = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt }, headers });
    await admin("faults", {});
    assert.equal(first.status, 502, JSON.stringify(first.json));
    assert.equal(first.headers.get("x-should-retry"), "false");
    assert.match(first.json.id ?? "", /^[0-9a-f-]{36}$/, "the answer names the record it keeps");
    assert.equal((await madeWith(prompt)).length, 1, "the upstream made the job");
    const retry = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt }, headers });
    assert.equal(retry.status, 201);
    assert.equal(retry.json.id, first.json.id, "the same record for the same key");
    const done = await settles(gw, first.json.id, "completed");
    assert.ok(done.assets.video, "confirmed by the callback, the job went on to its video");
    assert.equal((await madeWith(prompt)).length, 1, "made once, whatever the retries");
    await gw.dispose();
  });
}

test("callbacks that come while a create's answer is on its way move the job on as soon as the answer lands", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 300, callbacks: true });
  // A long typical job: left to its plan, the gateway would wait on callbacks that already came.
  const gw = await gateway("aimlapi", { UPSTREAM_TYPICAL_JOB_MS: "60000" });
  await admin("faults", { create_answer_ms: 1000 });
  const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "a job done before its create answered" } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.equal(created.json.state, "queued", "the answer tells the state when the job was made");
  const done = await settles(gw, created.json.id, "completed");
  assert.ok(done.assets.video, "asked at once, since a callback came before the answer");
  await gw.dispose();
});

test("a lost create answer whose callbacks all came before it is confirmed at once, not sent again", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 300, callbacks: true });
  // Two minutes of silence before a resend: the test ends long before.
  const gw = await gateway("aimlapi", { UPSTREAM_TYPICAL_JOB_MS: "60000" });
  const prompt = "a lost create whose callbacks came first";
  await admin("faults", { create_answer_ms: 1000, lose_create_answers: true });
  const first = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt } });
  assert.equal(first.status, 502, JSON.stringify(first.json));
  await admin("faults", {});
  const done = await settles(gw, first.json.id, "completed");
  assert.ok(done.assets.video, "confirmed from the callback heard while the create waited");
  assert.equal((await madeWith(prompt)).length, 1, "made once");
  await gw.dispose();
});

test("a create that left no trace upstream is sent once more after a silence, under the same record", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 500, callbacks: true });
  // 10 s of silence (the shortest), so the test waits about that long.
  const gw = await gateway("gptge", { UPSTREAM_TYPICAL_JOB_MS: "1000" });
  const prompt = "a create the upstream never saw";
  await admin("faults", { seed: 1, rate_503: 1 });
  const first = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt } });
  await admin("faults", {});
  assert.equal(first.status, 502);
  assert.equal((await madeWith(prompt)).length, 0, "a 503 made nothing");
  const queued = await gw.call("GET", `${V1}/generations/${first.json.id}`);
  assert.equal(queued.json.state, "queued", "kept, unconfirmed");
  const done = await (async () => {
    for (let i = 0; i < 200; i++) {
      const r = await gw.call("GET", `${V1}/generations/${first.json.id}`);
      if (r.json.state === "completed") return r.json;
      await sleep(100);
    }
    throw new Error("never sent again");
  })();
  assert.ok(done.assets.video);
  assert.equal((await madeWith(prompt)).length, 1, "sent once more, made once");
  await gw.dispose();
});

test("luma-agents: a lost create answer is never sent again, since no callback can end the silence", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 500, callbacks: true });
  // The shortest silence (10 s) passes during the test: a resend would have happened by then.
  const gw = await gateway("luma-agents", { UPSTREAM_TYPICAL_JOB_MS: "1000" });
  const prompt = "an agents create whose answer is lost";
  const headers = { "idempotency-key": "orphan-luma-agents" };
  await admin("faults", { seed: 1, rate_reset: 1, reset_after_create: true });
  const first = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt }, headers });
  await admin("faults", {});
  assert.equal(first.status, 502, JSON.stringify(first.json));
  assert.equal((await madeWith(prompt)).length, 1, "the upstream made the job");
  const retry = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt }, headers });
  assert.equal(retry.status, 201);
  assert.equal(retry.json.id, first.json.id, "the same record for the same key");
  await sleep(12_000);
  assert.equal((await madeWith(prompt)).length, 1, "made once: nothing was sent again");
  assert.equal((await gw.call("GET", `${V1}/generations/${first.json.id}`)).json.state, "queued", "kept, unconfirmed");
  await gw.dispose();
});

test("CALLER_LIMITS: a token over its creates per minute gets 429 with Retry-After; reads and other tokens go on", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 60_000, callbacks: true });
  const gw = await gateway("luma", { CALLER_LIMITS: "* 100/min; tok-b 2/min 3/day 5/running" });
  const create = (token, i) => gw.call("POST", `${V1}/generations/video`, { token, body: { model: "ray-2", prompt: `limited ${token} ${i}` } });
  const first = await create("tok-b", 1);
  assert.equal(first.status, 201);
  assert.equal((await create("tok-b", 2)).status, 201);
  const third = await create("tok-b", 3);
  assert.equal(third.status, 429, JSON.stringify(third.json));
  assert.match(third.json.detail, /creates per minute/);
  const wait = Number(third.headers.get("retry-after"));
  assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
  assert.equal((await gw.call("GET", `${V1}/generations/${first.json.id}`, { token: "tok-b" })).status, 200, "reads are not limited");
  assert.equal((await create("tok-a", 1)).status, 201, "another token has its own limit");
  await gw.dispose();
});

test("CALLER_LIMITS that names an unknown token or a bad rule stops the gateway, without repeating the value", async () => {
  for (const bad of ["nobody-knows-me 1/min", "* 5/hour"]) {
    const gw = await gateway("luma", { CALLER_LIMITS: bad });
    const r = await gw.call("GET", `${V1}/generations?limit=1`);
    assert.equal(r.status, 503, JSON.stringify(r.json));
    assert.match(r.json.detail, /CALLER_LIMITS/);
    assert.ok(!JSON.stringify(r.json).includes("nobody-knows-me"));
    await gw.dispose();
  }
});
