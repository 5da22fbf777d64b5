// make bench-sdk-dup: the official lumaai SDK, unmodified and with its default retries, creates
// 100 jobs through the gateway while about half of the upstream's creates fail ambiguously
// (the connection reset after the job was made, or a garbled answer), callbacks on. Counted:
// upstream jobs, duplicates (one prompt made twice), and invisible jobs (made upstream, but
// not among the caller's generations through the gateway once things settle).
import LumaAI from "lumaai";
import { admin, gateway, stopAll } from "../worker/dev.mjs";

const CALLS = Number(process.env.SDK_DUP_CALLS ?? 100);
const UPSTREAMS = ["luma", "aimlapi", "apiframe", "gptge"];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await admin("reset", {});
await admin("config", { job_ms: 1000, callbacks: true });
const gws = {};
for (const upstream of UPSTREAMS) gws[upstream] = await gateway(upstream, { UPSTREAM_TYPICAL_JOB_MS: "1000" });
const upstreamBefore = (await admin("generations")).length;
await admin("faults", { seed: 50, rate_reset: 0.3, reset_after_create: true, rate_malformed: 0.2 });

const errors = {};
let returned = 0;
await Promise.all(Array.from({ length: CALLS }, async (_, i) => {
  const upstream = UPSTREAMS[i % UPSTREAMS.length];
  const sdk = new LumaAI({ authToken: "tok-a", baseURL: `${gws[upstream].base}/dream-machine/v1` });
  try {
    await sdk.generations.create({ prompt: `sdk job ${i}`, model: "ray-2" });
    returned++;
  } catch (e) {
    errors[e.status ?? e.name] = (errors[e.status ?? e.name] ?? 0) + 1;
  }
}));
await admin("faults", {});
await sleep(8_000); // callbacks confirm records whose create answer was lost; jobs finish
const after = await admin("counters");
const made = (await admin("generations")).slice(upstreamBefore);
const upstreamJobs = made.length;
// One prompt per call: a prompt made twice upstream is a duplicate, whatever else differed.
const byPrompt = made.reduce((m, j) => m.set(j.prompt, (m.get(j.prompt) ?? 0) + 1), new Map());
const duplicates = [...byPrompt.values()].reduce((n, c) => n + c - 1, 0);
// What the caller can see: its generations through each gateway, by prompt, not failed.
const visible = new Set();
for (const upstream of UPSTREAMS) {
  const sdk = new LumaAI({ authToken: "tok-a", baseURL: `${gws[upstream].base}/dream-machine/v1` });
  for (let offset = 0; ; offset += 100) {
    const page = await sdk.generations.list({ limit: 100, offset });
    for (const g of page.generations ?? []) if (g.state !== "failed") visible.add(g.request?.prompt ?? g.id);
    if (!page.has_more) break;
  }
}
const invisible = [...byPrompt.keys()].filter((p) => !visible.has(p)).length;
console.log(`sdk-dup: ${CALLS} create calls (default retries), answered ${returned}, errors ${JSON.stringify(errors)}; upstream faults ${JSON.stringify(after.faults_injected)}`);
console.log(`sdk-dup: calls=${CALLS} upstream_jobs=${upstreamJobs} duplicates=${duplicates} invisible=${invisible}`);
await stopAll();
process.exit(0);
