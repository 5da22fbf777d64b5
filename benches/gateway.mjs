// make bench-gateway: what the gateway adds over calling the emulator directly, its cold start,
// and how soon a waiting long-poll answers after the upstream's callback.
import { admin, emulator, gateway, stopAll } from "../worker/dev.mjs";

const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const V1 = "/dream-machine/v1";
const time = async (f) => { const t = performance.now(); await f(); return performance.now() - t; };

await admin("reset", {});
await admin("config", { job_ms: 300, callbacks: true });

// Cold start: from a new workerd to the first answer.
let gw;
const cold = await time(async () => {
  gw = await gateway("luma", { UPSTREAM_TYPICAL_JOB_MS: "600000" });
  await gw.call("GET", "/healthz", { token: null });
});

// Added latency: 200 creates each way, interleaved. A create always goes through to the
// upstream (a get is answered from the Durable Object, so it is measured apart). Jobs stand
// still meanwhile (long job_ms), so no callback or alarm competes with the measurement.
await admin("config", { job_ms: 3_600_000, callbacks: true });
const body = JSON.stringify({ model: "ray-2", prompt: "A jellyfish to time" });
const direct = [], through = [];
for (let i = 0; i < 200; i++) {
  direct.push(await time(() => fetch(`${emulator}${V1}/generations/video`, { method: "POST", body, headers: { authorization: "Bearer test-key" } }).then((r) => r.text())));
  through.push(await time(() => gw.call("POST", `${V1}/generations/video`, { body })));
}
const added = (q) => Math.max(0, quantile(through, q) - quantile(direct, q));
const upstreamId = (await admin("generations")).at(-1).id;
const last = (await gw.call("GET", `${V1}/generations?limit=1`)).json.generations[0].id;
const directGet = [], cachedGet = [];
for (let i = 0; i < 200; i++) {
  directGet.push(await time(() => fetch(`${emulator}${V1}/generations/${upstreamId}`, { headers: { authorization: "Bearer test-key" } }).then((r) => r.text())));
  cachedGet.push(await time(() => gw.call("GET", `${V1}/generations/${last}`)));
}
await admin("config", { job_ms: 300, callbacks: true });

// Callback to answer: a long-poll is waiting when the emulator calls back (alarms are far off).
const lags = [];
for (let i = 0; i < 10; i++) {
  const g = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `callback lag ${i}` } });
  const job = (await admin("generations")).at(-1);
  await gw.call("GET", `${V1}/generations/${g.json.id}?wait=completed`);
  lags.push(Date.now() - (job.created_unix_ms + job.length_ms));
}
await stopAll();
console.log(`create: direct p50 ${quantile(direct, 0.5).toFixed(2)} ms p99 ${quantile(direct, 0.99).toFixed(2)} ms; through the gateway p50 ${quantile(through, 0.5).toFixed(2)} ms p99 ${quantile(through, 0.99).toFixed(2)} ms`);
console.log(`get: direct p50 ${quantile(directGet, 0.5).toFixed(2)} ms; the gateway (from its Durable Object, no upstream call) p50 ${quantile(cachedGet, 0.5).toFixed(2)} ms p99 ${quantile(cachedGet, 0.99).toFixed(2)} ms`);
console.log(`cold start (new workerd to first answer): ${cold.toFixed(0)} ms`);
console.log(`completion to long-poll answer via callback: p50 ${quantile(lags, 0.5)} ms, max ${Math.max(...lags)} ms over ${lags.length} jobs`);
console.log(`gateway: added_p50_ms=${added(0.5).toFixed(2)} added_p99_ms=${added(0.99).toFixed(2)} callback_to_answer_p50_ms=${quantile(lags, 0.5)}`);
