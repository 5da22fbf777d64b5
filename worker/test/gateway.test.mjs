// The gateway in workerd (Miniflare) against the emulator, for each upstream: create, extend,
// long-poll get, batch get, list, callbacks and the alarm fallback; the security rules; and the
// official lumaai SDK, unmodified, pointed at the gateway.
import assert from "node:assert/strict";
import { test, after } from "node:test";
import LumaAI from "lumaai";
import { admin, emulator, gateway, stopAll, UPSTREAM_KEY as KEY } from "../dev.mjs";
import { fakeApiframe } from "./fake-apiframe.mjs";

after(stopAll);

const V1 = "/dream-machine/v1";
/** The model each upstream makes: the Agents API has one, ray-3.2; a create naming another is refused. */
const MODEL = (upstream) => (upstream === "luma-agents" ? "ray-3.2" : "ray-2");

for (const upstream of ["luma", "luma-agents", "aimlapi", "apiframe", "gptge"]) {
  test(`${upstream}: create, long-poll, extend, batch, list`, async () => {
    await admin("config", { job_ms: 600, callbacks: true });
    const gw = await gateway(upstream);
    const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: MODEL(upstream), prompt: "A jellyfish in the ocean", aspect_ratio: "16:9" } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    assert.match(created.json.id, /^[0-9a-f-]{36}$/);
    assert.equal(created.json.state, "queued");
    const done = await gw.call("GET", `${V1}/generations/${created.json.id}?wait=completed`);
    assert.equal(done.json.state, "completed", JSON.stringify(done.json));
    assert.ok(done.json.assets.video.startsWith(emulator));
    const ext = await gw.call("POST", `${V1}/generations/video`, { body: { model: MODEL(upstream), prompt: "It swims away", keyframes: { frame0: { type: "generation", id: created.json.id } } } });
    assert.equal(ext.status, 201, JSON.stringify(ext.json));
    const extDone = await gw.call("GET", `${V1}/generations/${ext.json.id}?wait=completed`);
    assert.equal(extDone.json.state, "completed");
    assert.notEqual(extDone.json.assets.video, done.json.assets.video);
    // Backward (frame1 = the generation): luma, luma-agents and aimlapi can; the others say so,
    // with a 400.
    const back = await gw.call("POST", `${V1}/generations`, { body: { model: MODEL(upstream), prompt: "What came before", keyframes: { frame1: { type: "generation", id: created.json.id } } } });
    if (["luma", "luma-agents", "aimlapi"].includes(upstream)) {
      assert.equal(back.status, 201, JSON.stringify(back.json));
      assert.equal((await gw.call("GET", `${V1}/generations/${back.json.id}?wait=completed`)).json.state, "completed");
    } else {
      assert.equal(back.status, 400);
      assert.match(back.json.detail, /backward/i);
    }
    const batch = await gw.call("GET", `${V1}/generations?ids=${created.json.id},${ext.json.id}`);
    assert.deepEqual(batch.json.generations.map((g) => g.id).sort(), [created.json.id, ext.json.id].sort());
    const list = await gw.call("GET", `${V1}/generations?limit=10`);
    const backwards = back.status === 201 ? [back.json.id] : [];
    assert.deepEqual(list.json.generations.map((g) => g.id), [...backwards, ext.json.id, created.json.id]);
    const upstreamBefore = (await admin("generations")).length;
    assert.equal((await gw.call("DELETE", `${V1}/generations/${ext.json.id}`)).status, 204);
    assert.equal((await gw.call("GET", `${V1}/generations/${ext.json.id}`)).status, 404);
    // Only luma can delete upstream; elsewhere the upstream keeps its copy.
    assert.equal((await admin("generations")).length, upstreamBefore - (upstream === "luma" ? 1 : 0));
    assert.ok(gw.seen.every((s) => !s.includes(KEY)), "the upstream key never appears in a response");
  });
}

test("callbacks switched off: the alarm polls on the core's schedule", async () => {
  await admin("config", { job_ms: 600, callbacks: false });
  const sent = (await admin("counters")).callbacks_sent;
  for (const upstream of ["luma", "luma-agents", "aimlapi", "apiframe", "gptge"]) {
    const gw = await gateway(upstream);
    const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: MODEL(upstream), prompt: "Nobody calls back" } });
    const done = await gw.call("GET", `${V1}/generations/${created.json.id}?wait=completed`);
    assert.equal(done.json.state, "completed", upstream);
  }
  assert.equal((await admin("counters")).callbacks_sent, sent, "no callback was delivered");
  await admin("config", { callbacks: true });
});

test("callbacks wake a waiting long-poll; forged ones are refused", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  // With a long typical job the alarm would not come soon: only the callback can answer in time.
  for (const upstream of ["luma", "aimlapi", "apiframe", "gptge"]) {
    const gw = await gateway(upstream, { UPSTREAM_TYPICAL_JOB_MS: "600000" });
    const before = (await admin("counters")).callbacks_sent;
    const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "Call me back" } });
    const t = Date.now();
    const done = await gw.call("GET", `${V1}/generations/${created.json.id}?wait=completed`);
    assert.equal(done.json.state, "completed", upstream);
    assert.ok(Date.now() - t < 5000, `${upstream}: answered by the callback (${Date.now() - t} ms)`);
    assert.ok((await admin("counters")).callbacks_sent > before, upstream);
    // A wrong secret and an unknown id get the same 404: the route tells nothing about ids.
    const forged = await gw.call("POST", `/callbacks/${created.json.id}/not-the-secret`, { token: null, body: {} });
    assert.equal(forged.status, 404, upstream);
    const unknown = await gw.call("POST", `/callbacks/${crypto.randomUUID()}/whatever`, { token: null, body: {} });
    assert.equal(unknown.status, 404, upstream);
  }
});

test("luma-agents: no callback asked for, the alarm polls, failure codes reach the caller", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  const gw = await gateway("luma-agents");
  const sent = (await admin("counters")).callbacks_sent;
  // The emulator refuses unknown fields, so these creates prove no callback field went upstream.
  const ok = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt: "Polled, not called" } });
  assert.equal(ok.status, 201, JSON.stringify(ok.json));
  assert.equal((await gw.call("GET", `${V1}/generations/${ok.json.id}?wait=completed`)).json.state, "completed");
  const broke = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt: "until budget_exhausted" } });
  const failed = await gw.call("GET", `${V1}/generations/${broke.json.id}?wait=completed`);
  assert.equal(failed.json.state, "failed");
  assert.match(failed.json.failure_reason, /add credits/);
  assert.match(failed.json.failure_reason, /budget_exhausted/);
  // What the Agents API cannot take is a 400 naming it, before anything is sent upstream.
  const ratio = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-3.2", prompt: "A tall one", aspect_ratio: "9:21" } });
  assert.equal(ratio.status, 400);
  assert.match(ratio.json.detail, /^aspect_ratio: /);
  assert.equal((await admin("counters")).callbacks_sent, sent);
});

test("what the upstream cannot make is refused before sending; /capabilities tells clients", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  const made = async () => (await admin("generations")).length;
  for (const upstream of ["apiframe", "gptge"]) {
    const gw = await gateway(upstream);
    const caps = await gw.call("GET", `${V1}/capabilities`);
    assert.equal(caps.status, 200);
    assert.deepEqual(caps.json, { upstream, models: ["ray-2"], backward: false, interpolate: false, image_extend: true, loop_on_extend: false, concepts: false });
    assert.equal((await gw.call("GET", `${V1}/capabilities`, { token: null })).status, 401, "only callers learn it");
    const before = await made();
    for (const [body, field] of [
      [{ model: "ray-flash-2", prompt: "Another model" }, "model"],
      [{ model: "ray-2", prompt: "A chosen size", resolution: "720p" }, "resolution"],
      [{ model: "ray-2", prompt: "With a concept", concepts: [{ key: "dolly_zoom" }] }, "concepts"],
    ]) {
      const r = await gw.call("POST", `${V1}/generations/video`, { body });
      assert.equal(r.status, 400, `${upstream} ${field}`);
      assert.ok(r.json.detail.startsWith(`${field}: `), r.json.detail);
    }
    assert.equal(await made(), before, `${upstream}: nothing was sent upstream`);
    const ok = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "The model it makes" } });
    assert.equal(ok.status, 201, JSON.stringify(ok.json));
    // The reseller's model is configurable; then that one, and only it, is accepted.
    const flash = await gateway(upstream, { UPSTREAM_MODEL: "ray-flash-2" });
    assert.deepEqual((await flash.call("GET", `${V1}/capabilities`)).json.models, ["ray-flash-2"]);
    assert.equal((await flash.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "Not this one" } })).status, 400);
    assert.equal((await flash.call("POST", `${V1}/generations/video`, { body: { model: "ray-flash-2", prompt: "This one" } })).status, 201);
  }
  // The Agents API makes ray-3.2 only; a Dream Machine name is refused rather than swapped.
  const agents = await gateway("luma-agents");
  assert.deepEqual((await agents.call("GET", `${V1}/capabilities`)).json.models, ["ray-3.2"]);
  const swapped = await agents.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "Not ray-2" } });
  assert.equal(swapped.status, 400);
  assert.match(swapped.json.detail, /^model: .*ray-3\.2/);
});

test("concepts reach a luma upstream as sent", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  const gw = await gateway("luma");
  assert.equal((await gw.call("GET", `${V1}/capabilities`)).json.concepts, true);
  const prompt = "A dolly zoom on a jellyfish";
  const concepts = [{ key: "dolly_zoom" }];
  const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt, concepts } });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  assert.deepEqual(created.json.request.concepts, concepts);
  const [job] = (await admin("generations")).filter((j) => j.prompt === prompt);
  const upstream = await fetch(`${emulator}${V1}/generations/${job.id}`, { headers: { authorization: `Bearer ${KEY}` } }).then((r) => r.json());
  assert.deepEqual(upstream.request.concepts, concepts);
  const empty = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt, concepts: [{ key: " " }] } });
  assert.equal(empty.status, 400);
  assert.match(empty.json.detail, /^concepts: /);
});

test("security: tokens, isolation, CORS, caps, bad input", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  const gw = await gateway("luma");
  for (const token of [null, "tok-zzz"]) {
    const r = await gw.call("GET", `${V1}/generations`, { token });
    assert.equal(r.status, 401);
    assert.ok(r.json.detail);
  }
  const mine = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "Only mine" } });
  assert.equal((await gw.call("GET", `${V1}/generations/${mine.json.id}`, { token: "tok-b" })).status, 404);
  assert.equal((await gw.call("GET", `${V1}/generations`, { token: "tok-b" })).json.generations.length, 0);
  const theirs = await gw.call("POST", `${V1}/generations/video`, { token: "tok-b", body: { model: "ray-2", prompt: "Extending yours", keyframes: { frame0: { type: "generation", id: mine.json.id } } } });
  assert.equal(theirs.status, 400);
  const ok = await gw.call("OPTIONS", `${V1}/generations`, { token: null, headers: { origin: "https://app.test" } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.test");
  const no = await gw.call("OPTIONS", `${V1}/generations`, { token: null, headers: { origin: "https://evil.test" } });
  assert.equal(no.headers.get("access-control-allow-origin"), null);
  assert.equal((await gw.call("POST", `${V1}/generations/video`, { body: "x".repeat(70_000) })).status, 413);
  for (const body of ["{not json", JSON.stringify({ model: "ray-2", prompt: "hi" }), JSON.stringify({ model: "ray-2", prompt: "ok ok", aspect_ratio: "19:9" })]) {
    const r = await gw.call("POST", `${V1}/generations/video`, { body });
    assert.equal(r.status, 400, body);
    assert.ok(r.json.detail);
  }
  assert.equal((await gw.call("GET", `${V1}/generations/x?wait=forever`)).status, 400);
  assert.equal((await gw.call("GET", "/healthz", { token: null })).status, 200);
  const unconfigured = await gateway("luma", { CLIENT_TOKENS: "" });
  assert.equal((await unconfigured.call("GET", `${V1}/generations`)).status, 503);
  assert.ok([...gw.seen, ...unconfigured.seen].every((s) => !s.includes(KEY)), "the upstream key never appears");
});

for (const upstream of ["aimlapi", "luma-agents"]) {
  test(`the official lumaai SDK, unmodified, through the gateway (${upstream})`, async () => {
    await admin("config", { job_ms: 600, callbacks: true });
    const gw = await gateway(upstream);
    const client = new LumaAI({ authToken: "tok-a", baseURL: `${gw.base}${V1}`, maxRetries: 0 });
    const until = async (id) => {
      let g = await client.generations.get(id);
      for (let i = 0; i < 100 && g.state !== "completed"; i++) {
        await new Promise((r) => setTimeout(r, 100));
        g = await client.generations.get(id);
      }
      return g;
    };
    const created = await client.generations.create({ model: MODEL(upstream), prompt: "A jellyfish through the SDK", aspect_ratio: "16:9" });
    assert.equal((await until(created.id)).state, "completed");
    // Backward, as any Luma caller asks for it: the generation as frame1.
    const back = await client.generations.create({ model: MODEL(upstream), prompt: "Before it", keyframes: { frame1: { type: "generation", id: created.id } } });
    assert.equal((await until(back.id)).state, "completed");
    const list = await client.generations.list();
    assert.deepEqual(list.generations.slice(0, 2).map((x) => x.id), [back.id, created.id]);
  });
}

test("callbacks: the URL and x-webhook-secret must match, the body is never trusted, replays read nothing", async () => {
  const fake = await fakeApiframe();
  const gw = await gateway("apiframe", { UPSTREAM_BASE_URL: fake.url, UPSTREAM_TYPICAL_JOB_MS: "600000" });
  try {
    const created = await gw.call("POST", `${V1}/generations`, { body: { model: "ray-2", prompt: "A scripted jellyfish" } });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const sent = fake.creates.at(-1);
    const hook = new URL(sent.webhook_url);
    assert.equal(hook.origin, gw.base, "the callback URL is the gateway's own origin");
    const [, , id, secret] = hook.pathname.split("/");
    assert.equal(id, created.json.id);
    assert.equal(sent.webhook_secret, secret);
    assert.ok(secret.length >= 32, "a per-generation secret with enough entropy");
    const callback = (path, headerSecret, body = {}) =>
      gw.call("POST", path, { token: null, body, headers: headerSecret === undefined ? {} : { "x-webhook-secret": headerSecret } });
    for (const [path, header] of [[hook.pathname, undefined], [hook.pathname, "wrong"], [`/callbacks/${id}/wrong`, secret], [`/callbacks/${id}/${secret}x`, secret]]) {
      const r = await callback(path, header);
      assert.equal(r.status, 404, `${path} ${header}`);
      assert.ok(r.json.detail);
    }
    assert.equal(fake.fetches, 0, "a refused callback reads nothing upstream");
    // A valid callback whose body lies: the gateway re-fetches and believes the upstream.
    fake.task = { task_id: "task-1", task_type: "luma", status: "processing", percentage: "40" };
    const lie = await callback(hook.pathname, secret, { task_id: "task-1", video_url: "https://evil.test/x.mp4" });
    assert.equal(lie.status, 200);
    assert.equal(fake.fetches, 1);
    const seen = await gw.call("GET", `${V1}/generations/${id}`);
    assert.equal(seen.json.state, "dreaming");
    assert.ok(!JSON.stringify(seen.json).includes("evil.test"));
    // Completed, then the same callback replayed: answered, but nothing more is read.
    fake.task = { task_id: "task-1", task_type: "luma", video_url: "https://cdn.test/done.mp4" };
    assert.equal((await callback(hook.pathname, secret)).status, 200);
    const done = await gw.call("GET", `${V1}/generations/${id}?wait=completed`);
    assert.equal(done.json.assets.video, "https://cdn.test/done.mp4");
    const reads = fake.fetches;
    fake.task = { task_id: "task-1", task_type: "luma", status: "failed", message: "late" };
    for (let i = 0; i < 3; i++) assert.equal((await callback(hook.pathname, secret)).status, 200);
    assert.equal(fake.fetches, reads, "replayed callbacks after the end read nothing");
    assert.equal((await gw.call("GET", `${V1}/generations/${id}`)).json.state, "completed", "state only moves forward");
    // An upstream error that echoes the key: the caller gets a 4xx without it.
    const echoed = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "please echo the key" } });
    assert.equal(echoed.status, 400, JSON.stringify(echoed.json));
    assert.deepEqual([...fake.keys], [KEY], "the upstream gets the key");
    assert.ok(gw.seen.every((s) => !s.includes(KEY)), "the upstream key never appears in a response");
  } finally {
    await fake.close();
  }
});

test("APP_WEBHOOK_URL: a Standard Webhooks event, correctly signed, for every state change", async () => {
  const { createServer } = await import("node:http");
  const { createHmac, timingSafeEqual } = await import("node:crypto");
  const key = Buffer.from("gateway-app-webhook-secret-0123");
  const secret = `whsec_${key.toString("base64")}`;
  const events = [];
  const app = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const [id, ts, sig] = ["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => req.headers[h]);
    const want = `v1,${createHmac("sha256", key).update(`${id}.${ts}.${body}`).digest("base64")}`;
    const valid = typeof sig === "string" && sig.length === want.length && timingSafeEqual(Buffer.from(sig), Buffer.from(want));
    events.push({ valid, id, ts: Number(ts), event: JSON.parse(body) });
    res.writeHead(204).end();
  });
  await new Promise((r) => app.listen(0, "127.0.0.1", r));
  const fake = await fakeApiframe();
  const gw = await gateway("apiframe", {
    UPSTREAM_BASE_URL: fake.url, UPSTREAM_TYPICAL_JOB_MS: "600000",
    APP_WEBHOOK_URL: `http://127.0.0.1:${app.address().port}/hooks`, APP_WEBHOOK_SECRET: secret,
  });
  try {
    const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "Tell the app" } });
    const hook = new URL(fake.creates.at(-1).webhook_url);
    const callback = () => gw.call("POST", hook.pathname, { token: null, body: {}, headers: { "x-webhook-secret": fake.creates.at(-1).webhook_secret } });
    fake.task = { task_id: "task-1", task_type: "luma", status: "processing", percentage: "50" };
    await callback();
    await callback(); // nothing new: no event
    fake.task = { task_id: "task-1", task_type: "luma", video_url: "https://cdn.test/done.mp4" };
    await callback();
    assert.deepEqual(events.map((e) => [e.event.type, e.event.data.state]), [
      ["generation.created", "queued"], ["generation.updated", "dreaming"], ["generation.updated", "completed"],
    ]);
    assert.ok(events.every((e) => e.valid), "every signature verifies");
    assert.ok(events.every((e) => e.event.data.id === created.json.id && Math.abs(e.ts - Date.now() / 1000) < 300));
    assert.equal(new Set(events.map((e) => e.id)).size, events.length, "one webhook-id per event");
    assert.equal(events.at(-1).event.data.assets.video, "https://cdn.test/done.mp4");
    assert.ok(gw.seen.every((s) => !s.includes(secret) && !s.includes(KEY)));
  } finally {
    await fake.close();
    await new Promise((r) => app.close(r));
  }
});

test("bad input of every kind is a 4xx with a detail, never a 5xx", async () => {
  await admin("config", { job_ms: 600, callbacks: true });
  const gw = await gateway("luma");
  const bodies = [
    "", "null", "[]", '"text"', "{", JSON.stringify({ prompt: 5 }), JSON.stringify({ model: "ray-2", prompt: "ok ok", loop: "yes" }),
    JSON.stringify({ model: "ray-2", prompt: "x".repeat(5001) }),
    JSON.stringify({ model: "ray-2", prompt: "ok ok", keyframes: { frame0: { type: "generation", id: 5 } } }),
    JSON.stringify({ model: "ray-2", prompt: "ok ok", keyframes: { frame0: { type: "generation", id: crypto.randomUUID() } } }),
    JSON.stringify({ model: "ray-2", prompt: "ok ok", keyframes: { frame0: { type: "video", url: "https://x.test" } } }),
    JSON.stringify({ model: "ray-2", prompt: "ok ok", keyframes: { frame0: { type: "image", url: "javascript:alert(1)" } } }),
    JSON.stringify({ model: "ray-9", prompt: "ok ok" }),
  ];
  for (const body of bodies) {
    const r = await gw.call("POST", `${V1}/generations/video`, { body, headers: { "content-type": "application/json" } });
    assert.ok(r.status >= 400 && r.status < 500 && r.json.detail, `${body.slice(0, 80)} → ${r.status} ${JSON.stringify(r.json)}`);
  }
  // The cap counts bytes, not characters; a body with no Content-Length is cut off at the cap.
  assert.equal((await gw.call("POST", `${V1}/generations/video`, { body: JSON.stringify({ model: "ray-2", prompt: "€".repeat(22_000) }) })).status, 413);
  const stream = new ReadableStream({ start(c) { for (let i = 0; i < 100; i++) c.enqueue(new Uint8Array(4096).fill(32)); c.close(); } });
  const chunked = await fetch(`${gw.base}${V1}/generations/video`, { method: "POST", body: stream, duplex: "half", headers: { authorization: "Bearer tok-a" } }).catch((e) => e);
  // 413, or the connection closed under the rest of the upload (the answer came first).
  assert.ok(chunked.status === 413 || chunked instanceof TypeError, String(chunked.status ?? chunked));
  const notUtf8 = await fetch(`${gw.base}${V1}/generations/video`, { method: "POST", body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), headers: { authorization: "Bearer tok-a" } });
  assert.equal(notUtf8.status, 400);
  for (const [method, path, token] of [
    ["GET", `${V1}/generations/%zz`], ["GET", `${V1}/generations?limit=abc`], ["GET", `${V1}/generations?offset=-1`],
    ["GET", `${V1}/generations?ids=,,`], ["GET", `${V1}/generations/${"a".repeat(5000)}`], ["PUT", `${V1}/generations/abc`],
    ["PATCH", `${V1}/generations`], ["GET", `${V1}/generations/a/b/c`], ["POST", `${V1}/generations/abc/upscale`],
    ["GET", "/nothing-here"], ["POST", "/callbacks/x"], ["POST", `/callbacks/${"a".repeat(3000)}/b`],
    ["GET", `${V1}/generations`, "x".repeat(10_000)], ["GET", `${V1}/generations`, "tok-a\u00e9"],
  ]) {
    const r = await gw.call(method, path, { token: token ?? "tok-a" });
    assert.ok(r.status >= 400 && r.status < 500 && r.json.detail, `${method} ${path.slice(0, 60)} → ${r.status} ${JSON.stringify(r.json)}`);
  }
  const lower = await fetch(`${gw.base}${V1}/generations`, { headers: { authorization: "bearer tok-a" } });
  assert.equal(lower.status, 200, "the auth scheme is case-insensitive");
  assert.ok(gw.seen.every((s) => !s.includes(KEY)));
});

test("wrangler.toml as deployed: wrangler dev --local serves the same Worker, secrets from an env file", async () => {
  const { spawn } = await import("node:child_process");
  const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { createServer } = await import("node:net");
  await admin("config", { job_ms: 600, callbacks: true });
  const port = await new Promise((r) => { const s = createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => r(p)); }); });
  const dir = mkdtempSync(join(tmpdir(), "gateway-wrangler-"));
  writeFileSync(join(dir, ".dev.vars"), `UPSTREAM_API_KEY=${KEY}\nCLIENT_TOKENS=tok-wrangler\n`);
  const worker = new URL("..", import.meta.url).pathname;
  // Under the Node that runs this test (wrangler needs Node 22, as Miniflare does: scripts/mf-node.sh).
  const child = spawn(process.execPath, [join(worker, "../node_modules/wrangler/bin/wrangler.js"),
    "dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--env-file", join(dir, ".dev.vars"), "--persist-to", join(dir, "state"),
    "--var", "UPSTREAM:gptge", "--var", `UPSTREAM_BASE_URL:${emulator}`, "--show-interactive-dev-session=false",
  ], { cwd: worker, env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" }, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let log = "";
  child.stdout.on("data", (d) => (log += d));
  child.stderr.on("data", (d) => (log += d));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200 && child.exitCode === null; i++) {
      if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(child.exitCode, null, `wrangler dev exited: ${log}`);
    const auth = { authorization: "Bearer tok-wrangler" };
    const created = await fetch(`${base}${V1}/generations/video`, { method: "POST", headers: auth, body: JSON.stringify({ model: "ray-2", prompt: "Through wrangler dev" }) }).then((r) => r.json());
    const done = await fetch(`${base}${V1}/generations/${created.id}?wait=completed`, { headers: auth }).then((r) => r.json());
    assert.equal(done.state, "completed", log);
    assert.equal((await fetch(`${base}${V1}/generations`)).status, 401);
    assert.ok(!log.includes(KEY), "the upstream key is in no log line");
  } finally {
    // A wrangler that already exited must not hide why (its log is in the assertion above).
    if (child.exitCode === null && child.signalCode === null) {
      process.kill(-child.pid, "SIGTERM");
      await new Promise((r) => child.once("exit", r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test("list: the caller's own, newest first, paged with has_more; deleted ones leave the index", async () => {
  const fake = await fakeApiframe();
  const gw = await gateway("apiframe", { UPSTREAM_BASE_URL: fake.url, UPSTREAM_TYPICAL_JOB_MS: "600000" });
  try {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.unshift((await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `clip number ${i}` } })).json.id);
    await gw.call("POST", `${V1}/generations/video`, { token: "tok-b", body: { model: "ray-2", prompt: "someone else's" } });
    const page = async (q) => (await gw.call("GET", `${V1}/generations?${q}`)).json;
    const first = await page("limit=2");
    assert.deepEqual([first.generations.map((g) => g.id), first.has_more], [ids.slice(0, 2), true]);
    const last = await page("limit=2&offset=4");
    assert.deepEqual([last.generations.map((g) => g.id), last.has_more], [ids.slice(4), false]);
    assert.equal((await gw.call("DELETE", `${V1}/generations/${ids[1]}`)).status, 204);
    const after = await page("limit=4");
    assert.deepEqual([after.generations.map((g) => g.id), after.has_more], [[ids[0], ...ids.slice(2)], false]);
  } finally {
    await fake.close();
  }
});
