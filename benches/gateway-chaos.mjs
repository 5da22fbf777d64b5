// make bench-chaos: 500 jobs from our client through the gateway (one per upstream protocol, in
// workerd) with faults on both sides: a proxy on 127.0.0.1 between client and gateway drops,
// refuses, stalls and garbles 20 % of requests, and the emulator behind the gateway faults 20 %
// of upstream requests, callbacks on. What must hold: no job lost, no duplicate upstream job, no
// orphan (an upstream job nobody will see), no unhandled rejection, and no job failed because
// of a transient fault; only the emulator's moderation may fail a job.
import { createServer } from "node:http";
import { LumaClient, LumaError } from "../pkg/node.js";
import { admin, gateway, stopAll } from "../worker/dev.mjs";

const JOBS = Number(process.env.CHAOS_JOBS ?? 500);
const FAULT_RATE = 0.2;
const UPSTREAMS = ["luma", "aimlapi", "apiframe", "gptge"];
const MODERATED_EVERY = 25; // 4 % of prompts carry the emulator's moderation trigger word
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// splitmix64-style seeded numbers in [0, 1), so a run's faults can be replayed.
let seed = 0x5eedn;
function random() {
  seed = (seed + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
  let z = seed;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
  return Number((z ^ (z >> 31n)) >> 11n) / 2 ** 53;
}

/** The faults between client and gateway, each a fifth of the 20 %. */
const PROXY_FAULTS = ["refuse", "reset_after", "edge_5xx", "stall", "garble"];
const injected = Object.fromEntries(PROXY_FAULTS.map((f) => [f, 0]));

function proxyTo(target) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const fault = random() < FAULT_RATE ? PROXY_FAULTS[Math.floor(random() * PROXY_FAULTS.length)] : null;
    if (fault) injected[fault]++;
    if (fault === "refuse") return req.socket.destroy(); // dropped before it reached the gateway
    if (fault === "edge_5xx") return res.writeHead(random() < 0.5 ? 502 : 503, { "content-type": "text/html" }).end("<html>bad gateway</html>");
    const headers = { ...req.headers };
    delete headers.host;
    delete headers["content-length"];
    let answer;
    try {
      answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined });
    } catch {
      return req.socket.destroy();
    }
    const body = Buffer.from(await answer.arrayBuffer());
    if (fault === "reset_after") return req.socket.destroy(); // delivered, answer lost
    if (fault === "stall") await sleep(4_000); // past the client's per-request timeout
    if (fault === "garble") return res.writeHead(200, { "content-type": "application/json" }).end("{\"id\": \"trunc");
    if (res.destroyed) return;
    const out = {};
    answer.headers.forEach((v, k) => { if (!["content-encoding", "content-length", "transfer-encoding", "connection"].includes(k)) out[k] = v; });
    res.writeHead(answer.status, out).end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

await admin("reset", {});
await admin("config", { job_ms: 1500, callbacks: true });
const gateways = {};
const proxies = [];
for (const upstream of UPSTREAMS) {
  const gw = await gateway(upstream, { UPSTREAM_TYPICAL_JOB_MS: "1500" });
  const proxy = await proxyTo(gw.base);
  proxies.push(proxy);
  gateways[upstream] = new LumaClient({
    provider: "gateway", apiKey: "tok-a", baseUrl: `http://127.0.0.1:${proxy.address().port}/dream-machine/v1`,
    timeoutMs: 3_000, maxRetries: 6, typicalJobMs: 1_500,
  });
}
const upstreamBefore = (await admin("generations")).length;
await admin("faults", {
  seed: 2026, rate_429: 0.04, retry_after_s: 1, rate_500: 0.04, rate_502: 0.03, rate_503: 0.03,
  rate_reset: 0.03, reset_after_create: true, rate_slow: 0.015, slow_ms: 800, rate_malformed: 0.015,
});

let unhandled = 0;
process.on("unhandledRejection", () => unhandled++);
const outcome = { completed: 0, failed_transient: 0, failed_other: 0, lost: 0 };
const reasons = {};
const known = new Set(); // prompts whose create answered the caller with an id
const TRANSIENT = new Set(["network", "timeout", "server_error", "bad_response", "rate_limited", "aborted"]);
let next = 0;
async function worker() {
  while (next < JOBS) {
    const i = next++;
    const client = gateways[UPSTREAMS[i % UPSTREAMS.length]];
    const prompt = i % MODERATED_EVERY === 0 ? `a blacklisted scene, chaos job ${i}` : `chaos job ${i}`;
    const run = (async () => {
      const g = await client.generate({ prompt });
      known.add(prompt);
      return client.wait(g.id, { timeoutMs: 90_000 });
    })();
    const never = new Promise((r) => setTimeout(() => r("lost"), 150_000).unref());
    try {
      if ((await Promise.race([run, never])) === "lost") outcome.lost++;
      else outcome.completed++;
    } catch (e) {
      if (!(e instanceof LumaError)) throw new Error(`not a LumaError: ${e}`);
      const key = TRANSIENT.has(e.code) ? "failed_transient" : "failed_other";
      if (process.env.CHAOS_VERBOSE) console.log(e.code, e.status, e.message);
      outcome[key]++;
      reasons[`${e.code}${e.mayHaveBeenCreated ? " (may have been created)" : ""}`] = (reasons[`${e.code}${e.mayHaveBeenCreated ? " (may have been created)" : ""}`] ?? 0) + 1;
    }
  }
}
const started = Date.now();
await Promise.all(Array.from({ length: 40 }, worker));
await admin("faults", {});
await sleep(3_000); // callbacks and alarms still settling unconfirmed records
const after = await admin("counters");
const made = (await admin("generations")).slice(upstreamBefore);
const upstreamJobs = made.length;
// One prompt per job: a prompt made twice upstream is a duplicate, whatever else differed.
const byPrompt = made.reduce((m, j) => m.set(j.prompt, (m.get(j.prompt) ?? 0) + 1), new Map());
const duplicates = [...byPrompt.values()].reduce((n, c) => n + c - 1, 0);
// Every upstream job should be one a caller learned of; the rest are orphans.
const orphans = [...byPrompt.keys()].filter((p) => !known.has(p)).length;
console.log(`chaos: ${JOBS} jobs over ${UPSTREAMS.join(", ")} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`  client ↔ gateway faults ${JSON.stringify(injected)}; gateway ↔ upstream faults ${JSON.stringify(after.faults_injected)}`);
console.log(`  completed ${outcome.completed}, failed ${JSON.stringify(reasons)}, upstream jobs ${upstreamJobs}, known to callers ${known.size}`);
console.log(`gateway-chaos: completed=${outcome.completed} failed_transient=${outcome.failed_transient} failed_other=${outcome.failed_other} lost=${outcome.lost} duplicate_creates=${duplicates} orphans=${orphans} unhandled=${unhandled}`);
for (const p of proxies) p.close();
await stopAll();
process.exit(0);
