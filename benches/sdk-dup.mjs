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
const before = await admin("counters");
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
const upstreamJobs = (await admin("generations")).length - upstreamBefore;
const duplicates = after.duplicate_creates - before.duplicate_creates;
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
const invisible = Math.max(0, upstreamJobs - duplicates - visible.size);
console.log(`sdk-dup: ${CALLS} create calls (default retries), answered ${returned}, errors ${JSON.stringify(errors)}; upstream faults ${JSON.stringify(after.faults_injected)}`);
console.log(`sdk-dup: calls=${CALLS} upstream_jobs=${upstreamJobs} duplicates=${duplicates} invisible=${invisible}`);
await stopAll();
process.exit(0);
