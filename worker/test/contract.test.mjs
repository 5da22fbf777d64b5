// The gateway answers as Luma would and retries are safe: Idempotency-Key, ambiguous creates,
// upstream 429s, routes it does not serve, bodies that could not be stored, upstream error text,
// and callback replays. Points marked "SDK" use the official lumaai SDK, unmodified.
import assert from "node:assert/strict";
import { test, after } from "node:test";
import LumaAI from "lumaai";
import { admin, gateway, stopAll, UPSTREAM_KEY as KEY } from "../dev.mjs";
import { fakeApiframe } from "./fake-apiframe.mjs";

after(stopAll);

const V1 = "/dream-machine/v1";
const creates = async () => (await admin("counters")).creates_accepted;
const sdk = (gw, options = {}) => new LumaAI({ authToken: "tok-a", baseURL: `${gw.base}${V1}`, ...options });

test("Idempotency-Key: a replay or a racing twin gets the same generation, one upstream job; another body is a 422", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 3_600_000, callbacks: true });
  const gw = await gateway("luma", { CLIENT_TOKENS: "tok-a:3, tok-b" });
  const body = { model: "ray-2", prompt: "Exactly once" };
  const send = (key, b = body, token = "tok-a") => gw.call("POST", `${V1}/generations/video`, { token, body: b, headers: { "idempotency-key": key } });
  const before = await creates();
  const first = await send("key-1");
  assert.equal(first.status, 201);
  const replay = await send("key-1");
  assert.deepEqual([replay.status, replay.json.id], [201, first.json.id]);
  const [a, b] = await Promise.all([send("key-race"), send("key-race")]);
  assert.deepEqual([a.status, b.status, a.json.id], [201, 201, b.json.id], "racing twins meet in one shard");
  assert.equal(await creates(), before + 2, "one upstream job per key");
  const other = await send("key-1", { model: "ray-2", prompt: "Something else" });
  assert.equal(other.status, 422);
  assert.match(other.json.detail, /Idempotency-Key/);
  const theirs = await send("key-1", body, "tok-b");
  assert.equal(theirs.status, 201);
  assert.notEqual(theirs.json.id, first.json.id, "keys are per caller");
  assert.equal((await gw.call("POST", `${V1}/generations/video`, { body, headers: { "idempotency-key": "é".repeat(3) } })).status, 400);
});

test("SDK: an ambiguous upstream create is answered at once with x-should-retry: false, and made once", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 3_600_000, callbacks: true });
  // The emulator carries each create out, then resets the connection: the gateway cannot know.
  await admin("faults", { seed: 1, rate_reset: 1, reset_after_create: true });
  const gw = await gateway("aimlapi");
  const before = await creates();
  const t = Date.now();
  const err = await sdk(gw).generations.create({ model: "ray-2", prompt: "Did it land?" }).catch((e) => e);
  await admin("faults", { rate_reset: 0, reset_after_create: false });
  assert.equal(err.status, 502, String(err));
  assert.equal(err.headers["x-should-retry"], "false");
  assert.match(err.error.detail, /may have been created/);
  assert.ok(Date.now() - t < 1500, `answered in ${Date.now() - t} ms`);
  assert.equal(await creates(), before + 1, "the SDK did not retry into a second job");
});

test("SDK: an upstream 429 is passed on at once with its Retry-After, no create retried", async () => {
  await admin("reset", {});
  await admin("faults", { seed: 1, rate_429: 1, retry_after_s: 7 });
  const gw = await gateway("luma");
  const sent = async () => Object.entries((await admin("counters")).requests).filter(([k]) => k.startsWith("POST")).reduce((n, [, v]) => n + v, 0);
  const before = await sent();
  const t = Date.now();
  const err = await sdk(gw, { maxRetries: 0 }).generations.create({ model: "ray-2", prompt: "Too many" }).catch((e) => e);
  await admin("faults", { rate_429: 0 });
  assert.equal(err.status, 429, String(err));
  assert.equal(err.headers["retry-after"], "7");
  assert.ok(Date.now() - t < 1500, `answered in ${Date.now() - t} ms`);
  assert.equal(await sent(), before + 1, "one upstream create request, not retried");
});

test("SDK: a Luma route the gateway does not serve is a 404 naming it", async () => {
  const gw = await gateway("luma");
  const err = await sdk(gw, { maxRetries: 0 }).generations.concepts.list().catch((e) => e);
  assert.equal(err.status, 404, String(err));
  assert.match(err.error.detail, /does not serve GET \/dream-machine\/v1\/generations\/concepts\/list/);
  // Without a token, nothing about routes: the token is checked first.
  assert.equal((await gw.call("GET", `${V1}/generations/concepts/list`, { token: null })).status, 401);
});

test("only known fields are stored: odd unknown fields cannot break a create, a get or a list", async () => {
  await admin("reset", {});
  await admin("config", { job_ms: 3_600_000, callbacks: true });
  const gw = await gateway("luma");
  const deep = `{"model":"ray-2","prompt":"deep junk","junk":${"[".repeat(200)}${"]".repeat(200)}}`;
  const surrogate = '{"model":"ray-2","prompt":"lone surrogate","junk":"\\ud800"}';
  const ids = [];
  for (const body of [deep, surrogate, '{"model":"ray-2","prompt":"fine","junk":{"a":1}}']) {
    const r = await gw.call("POST", `${V1}/generations/video`, { body });
    assert.equal(r.status, 201, `${body.slice(0, 40)} → ${r.status} ${JSON.stringify(r.json)}`);
    assert.deepEqual(Object.keys(r.json.request).sort(), ["generation_type", "model", "prompt"], "only known fields are stored and echoed");
    assert.equal((await gw.call("GET", `${V1}/generations/${r.json.id}`)).status, 200);
    ids.unshift(r.json.id);
  }
  const list = await gw.call("GET", `${V1}/generations`);
  assert.deepEqual([list.status, list.json.generations.map((x) => x.id)], [200, ids]);
  assert.equal(list.headers.get("cache-control"), "no-store");
});

test("upstream error text stays in the log: callers get a stable code and a request id", async () => {
  const fake = await fakeApiframe();
  const gw = await gateway("apiframe", { UPSTREAM_BASE_URL: fake.url, UPSTREAM_TYPICAL_JOB_MS: "600000" });
  try {
    const r = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "please leak the account" } });
    assert.equal(r.status, 400);
    assert.equal(r.json.code, "upstream_invalid_request");
    assert.match(r.json.request_id, /^[0-9a-f-]{36}$/);
    assert.equal(r.headers.get("x-request-id"), r.json.request_id);
    assert.ok(!JSON.stringify(r.json).includes("acme") && !JSON.stringify(r.json).toLowerCase().includes(KEY.toLowerCase()));
  } finally {
    await fake.close();
  }
});

test("50 concurrent replays of one real callback make at most two upstream reads", async () => {
  const fake = await fakeApiframe();
  const gw = await gateway("apiframe", { UPSTREAM_BASE_URL: fake.url, UPSTREAM_TYPICAL_JOB_MS: "600000" });
  try {
    const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "replayed" } });
    assert.equal(created.status, 201);
    const sent = fake.creates.at(-1);
    fake.task = { task_id: "task-1", task_type: "luma", status: "processing", percentage: "30" };
    const replays = await Promise.all(Array.from({ length: 50 }, () =>
      gw.call("POST", new URL(sent.webhook_url).pathname, { token: null, body: {}, headers: { "x-webhook-secret": sent.webhook_secret } })));
    assert.ok(replays.every((r) => r.status === 200));
    assert.ok(fake.fetches >= 1 && fake.fetches <= 2, `coalesced: ${fake.fetches} reads`);
    assert.equal((await gw.call("GET", `${V1}/generations/${created.json.id}`)).json.state, "dreaming");
  } finally {
    await fake.close();
  }
});

test("SDK: callback_url is refused by name everywhere, concepts where the upstream has none, before anything is created", async () => {
  await admin("reset", {});
  for (const [upstream, refused] of [["luma", [{ callback_url: "https://app.test/hook" }]], ["gptge", [{ callback_url: "https://app.test/hook" }, { concepts: [{ key: "dolly_zoom" }] }]]]) {
    const gw = await gateway(upstream);
    const before = await creates();
    for (const extra of refused) {
      const err = await sdk(gw, { maxRetries: 0 }).generations.create({ model: "ray-2", prompt: "Tell me when done", ...extra }).catch((e) => e);
      assert.equal(err.status, 400, `${upstream} ${String(err)}`);
      assert.ok(err.error.detail.startsWith(Object.keys(extra)[0]), err.error.detail);
    }
    assert.equal(await creates(), before, upstream);
  }
});
