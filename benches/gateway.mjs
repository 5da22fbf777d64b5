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

// Added latency: the same get, 300 times each way, interleaved.
const created = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: "A jellyfish to fetch" } });
const done = await gw.call("GET", `${V1}/generations/${created.json.id}?wait=completed`);
const upstreamId = (await admin("generations")).at(-1).id;
const direct = [], through = [];
for (let i = 0; i < 300; i++) {
  direct.push(await time(() => fetch(`${emulator}${V1}/generations/${upstreamId}`, { headers: { authorization: "Bearer test-key" } }).then((r) => r.text())));
  through.push(await time(() => gw.call("GET", `${V1}/generations/${created.json.id}`)));
}
const added = (q) => Math.max(0, quantile(through, q) - quantile(direct, q));

// Callback to answer: a long-poll is waiting when the emulator calls back (alarms are far off).
const lags = [];
for (let i = 0; i < 10; i++) {
  const g = await gw.call("POST", `${V1}/generations/video`, { body: { model: "ray-2", prompt: `callback lag ${i}` } });
  const job = (await admin("generations")).at(-1);
  await gw.call("GET", `${V1}/generations/${g.json.id}?wait=completed`);
  lags.push(Date.now() - (job.created_unix_ms + job.length_ms));
}
await stopAll();
console.log(`state: ${done.json.state}; direct get p50 ${quantile(direct, 0.5).toFixed(2)} ms, through the gateway p50 ${quantile(through, 0.5).toFixed(2)} ms, p99 ${quantile(through, 0.99).toFixed(2)} ms`);
console.log(`cold start (new workerd to first answer): ${cold.toFixed(0)} ms`);
console.log(`completion to long-poll answer via callback: p50 ${quantile(lags, 0.5)} ms, max ${Math.max(...lags)} ms over ${lags.length} jobs`);
console.log(`gateway: added_p50_ms=${added(0.5).toFixed(2)} added_p99_ms=${added(0.99).toFixed(2)} callback_to_answer_p50_ms=${quantile(lags, 0.5)}`);
