// make bench-client: the package's size beside the official lumaai SDK, wait() lag per
// provider against the emulator at --speed 1, and 500 jobs through 20 % injected faults.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import * as esbuild from "esbuild";
import { LumaClient, LumaError } from "../pkg/node.js";
import { sizesByCrate } from "./lib/wasm-sizes.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const emulator = process.env.LUMA_EMULATOR_URL;
if (!emulator) throw new Error("run under scripts/with-emulator.sh");
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const admin = (path, body) =>
  fetch(`${emulator}/__emulator/${path}`, { method: body ? "POST" : "GET", body: body && JSON.stringify(body) }).then((r) => r.json());
const PROVIDERS = ["luma", "aimlapi", "apiframe", "gptge"];
const base = (p) => (p === "luma" ? `${emulator}/dream-machine/v1` : emulator);
const quantile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

// 1. Size: each bundled the same way (esbuild, minified, browser) and gzip -9.
async function bundle(contents, platform = "browser") {
  const out = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: "js" }, bundle: true, minify: true, format: "esm",
    platform, write: false, logLevel: "error", external: ["*.wasm", "node:*"],
  });
  return out.outputFiles[0].contents;
}
const job = `const g = await client.generate({ prompt: "A jellyfish" }); console.log(await client.get(g.id));`;
const wasmBytes = readFileSync(join(root, "pkg/dist/luma_extend_bg.wasm"));
const entry = async (file, platform) => gz(await bundle(`import { LumaClient } from "./pkg/${file}"; const client = new LumaClient({ apiKey: "k" }); ${job}`, platform));
const browserJs = await entry("browser.js", "browser");
const nodeJs = await entry("node.js", "node");
const wasmGzip = gz(wasmBytes) + browserJs;
const lumaaiJs = await bundle(`import LumaAI from "lumaai"; const client = new LumaAI({ authToken: "k" });
  const g = await client.generations.create({ prompt: "A jellyfish", model: "ray-2" }); console.log(await client.generations.get(g.id));`);
const lumaaiGzip = gz(lumaaiJs);
console.log(`size (gzip -9): luma-extend browser entry ${wasmGzip} B (wasm ${gz(wasmBytes)} + js ${browserJs}); node entry ${gz(wasmBytes) + nodeJs} B (js ${nodeJs}); lumaai create+get bundle ${lumaaiGzip} B`);

// What the browser wasm is made of: the same build, optimised the same way but keeping names.
const named = mkdtempSync(join(tmpdir(), "luma-size-"));
execFileSync("wasm-bindgen", ["--target", "web", "--out-dir", named, "--out-name", "x", join(root, "target/luma_extend.browser.wasm")]);
execFileSync(join(root, "node_modules/.bin/wasm-opt"), ["-Oz", "-g", join(named, "x_bg.wasm"), "-o", join(named, "named.wasm")]);
const made = sizesByCrate(readFileSync(join(named, "named.wasm")));
const top = made.crates.slice(0, 10).map(([c, n]) => `${c} ${(n / 1024).toFixed(1)}`).join(", ");
console.log(`browser wasm, KiB before gzip: code ${(made.code / 1024).toFixed(1)} (by crate: ${top}), data ${(made.data / 1024).toFixed(1)}`);

// Import + instantiate in Node, each in a fresh process, median of 7, beside lumaai's import.
function startupMs(code) {
  const runs = Array.from({ length: 7 }, () => Number(execFileSync("node", ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" }).trim()));
  return quantile(runs, 0.5);
}
const oursMs = startupMs(`const t = performance.now(); const { LumaClient } = await import("./pkg/node.js"); new LumaClient({ apiKey: "k" }); console.log((performance.now() - t).toFixed(1));`);
const theirsMs = startupMs(`const t = performance.now(); const { default: LumaAI } = await import("lumaai"); new LumaAI({ authToken: "k" }); console.log((performance.now() - t).toFixed(1));`);
console.log(`node import + instantiate (median of 7 fresh processes): luma-extend ${oursMs} ms, lumaai ${theirsMs} ms`);

// A client that counts its requests.
function counted(provider, extra = {}) {
  const counter = { requests: 0 };
  const client = new LumaClient({
    provider, apiKey: "test-key", baseUrl: base(provider), ...extra,
    fetch: (url, init) => { counter.requests++; return fetch(url, init); },
  });
  return { client, counter };
}

// 2. wait() lag: from the emulator completing a job to wait() resolving.
await admin("reset", {});
await admin("config", { job_ms: 4000 });
console.log("wait lag, jobs of 4 s (emulator --speed 1), the options a user gets; cold = a new client, warm = the same client after learning from 8 jobs:");
for (const provider of PROVIDERS) {
  const { client, counter } = counted(provider);
  const round = async (label) => {
    const before = counter.requests;
    const resolved = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const g = await client.generate({ prompt: `lag ${provider} ${label} ${i}` });
        const done = await client.wait(g.id);
        return { id: done.id, at: Date.now() };
      }),
    );
    const jobs = new Map((await admin("generations")).map((j) => [j.id, j]));
    const lags = resolved.map((r) => r.at - (jobs.get(r.id).created_unix_ms + jobs.get(r.id).length_ms));
    return `${label} p50 ${quantile(lags, 0.5)} ms p95 ${quantile(lags, 0.95)} ms requests/job ${((counter.requests - before) / 8).toFixed(1)}`;
  };
  const cold = await round("cold");
  const warm = await round("warm");
  console.log(`  ${provider.padEnd(11)} ${cold};  ${warm}`);
}

// 3. Chaos: 500 jobs, 20 % of provider requests faulted. Jobs from the lag run are not orphans.
await admin("reset", {});
const earlier = new Set((await admin("generations")).map((j) => j.id));
await admin("config", { job_ms: 400 });
await admin("faults", {
  seed: 2026, rate_429: 0.04, retry_after_s: 0, rate_500: 0.03, rate_502: 0.03, rate_503: 0.03,
  rate_reset: 0.03, reset_after_create: true, rate_slow: 0.02, slow_ms: 800, rate_malformed: 0.02,
});
let unhandled = 0;
process.on("unhandledRejection", () => unhandled++);
const clients = Object.fromEntries(PROVIDERS.map((p) => [p, counted(p, { timeoutMs: 5000 }).client]));
const learned = new Set();
const outcome = { completed: 0, failed: 0, lost: 0 };
const reasons = {};
const JOBS = 500;
let next = 0;
async function worker() {
  while (next < JOBS) {
    const i = next++;
    const client = clients[PROVIDERS[i % 4]];
    const run = (async () => {
      const g = await client.generate({ prompt: `chaos job ${i}` });
      learned.add(g.id);
      return client.wait(g.id, { timeoutMs: 30_000 });
    })();
    const never = new Promise((r) => setTimeout(() => r("lost"), 60_000).unref());
    try {
      const r = await Promise.race([run, never]);
      if (r === "lost") outcome.lost++;
      else outcome.completed++;
    } catch (e) {
      if (!(e instanceof LumaError) || !e.code) throw new Error(`not a clear error: ${e}`);
      outcome.failed++;
      reasons[e.code] = (reasons[e.code] ?? 0) + 1;
    }
  }
}
await Promise.all(Array.from({ length: 50 }, worker));
await admin("faults", {});
const counters = await admin("counters");
const orphans = (await admin("generations")).filter((j) => !earlier.has(j.id) && !learned.has(j.id));
const orphaned = orphans.length;
const orphansBy = orphans.reduce((m, j) => ({ ...m, [j.protocol]: (m[j.protocol] ?? 0) + 1 }), {});
console.log(`chaos: ${JOBS} jobs, faults ${JSON.stringify(counters.faults_injected)}`);
console.log(`  completed ${outcome.completed}, failed with a clear error ${outcome.failed} ${JSON.stringify(reasons)}, lost ${outcome.lost}, duplicate creates ${counters.duplicate_creates}, orphaned ${orphaned} ${JSON.stringify(orphansBy)}, unhandled rejections ${unhandled}`);
console.log(`client: wasm_gzip_bytes=${wasmGzip} lumaai_gzip_bytes=${lumaaiGzip} lost=${outcome.lost} duplicate_creates=${counters.duplicate_creates} orphaned=${orphaned} browser_gzip_bytes=${wasmGzip}`);
process.exit(outcome.lost === 0 && unhandled === 0 && counters.duplicate_creates === 0 ? 0 : 1);
