// make bench-load: bursts of 1,000 and 3,000 concurrent jobs from one token through one gateway
// (luma upstream, in workerd), each a create then long-polls until completed, five runs each.
// What must hold: no connection reset, and every job completes — a caller beyond what the
// gateway admits is answered 429 with Retry-After, which our client honours.
import { LumaClient } from "../pkg/node.js";
import { admin, gateway, stopAll } from "../worker/dev.mjs";

const SIZES = (process.env.LOAD_SIZES ?? "1000,3000").split(",").map(Number);
const RUNS = Number(process.env.LOAD_RUNS ?? 5);
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

await admin("reset", {});
await admin("config", { job_ms: 2000, callbacks: true });
const gw = await gateway("luma", { CLIENT_TOKENS: "tok-a:8", UPSTREAM_TYPICAL_JOB_MS: "2000" });
let worst = { resets: 0, failed: 0 };
for (const size of SIZES) {
  for (let run = 1; run <= RUNS; run++) {
    const seen = { resets: 0, answers: {} };
    const client = new LumaClient({
      provider: "gateway", apiKey: "tok-a", baseUrl: `${gw.base}/dream-machine/v1`, maxRetries: 10, typicalJobMs: 2000,
      fetch: async (request) => {
        try {
          const r = await fetch(request);
          seen.answers[r.status] = (seen.answers[r.status] ?? 0) + 1;
          return r;
        } catch (e) {
          if (/ECONNRESET|socket|other side closed/i.test(`${e.cause?.code} ${e.cause?.message}`)) seen.resets++;
          throw e;
        }
      },
    });
    const started = performance.now();
    const creates = [];
    const results = await Promise.allSettled(Array.from({ length: size }, async (_, i) => {
      const t = performance.now();
      const g = await client.generate({ prompt: `load ${size} run ${run} job ${i}` });
      creates.push(performance.now() - t);
      return client.wait(g.id, { timeoutMs: 600_000 });
    }));
    const wall = (performance.now() - started) / 1000;
    const failed = results.filter((r) => r.status === "rejected");
    const why = failed.reduce((m, r) => ({ ...m, [r.reason?.code ?? String(r.reason)]: (m[r.reason?.code ?? String(r.reason)] ?? 0) + 1 }), {});
    console.log(`load ${size} run ${run}: completed ${size - failed.length}/${size}${failed.length ? ` failed ${JSON.stringify(why)}` : ""}, connection resets ${seen.resets}, answers ${JSON.stringify(seen.answers)}, create p50 ${quantile(creates, 0.5).toFixed(1)} ms p99 ${quantile(creates, 0.99).toFixed(1)} ms, wall ${wall.toFixed(1)} s`);
    worst = { resets: Math.max(worst.resets, seen.resets), failed: Math.max(worst.failed, failed.length) };
  }
}
console.log(`gateway-load: sizes=${SIZES.join("+")} runs=${RUNS} worst_resets=${worst.resets} worst_failed=${worst.failed}`);
await stopAll();
process.exit(0);
