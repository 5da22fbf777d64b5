// make soak-gateway: a steady mixed load on one gateway in workerd for SOAK_SECONDS (600 by
// default): 20 jobs a second of creates, extends, gets, long-polls, batch gets, lists and
// deletes, with 2 % of upstream requests faulted, sampling workerd's RSS every 10 s. A job is
// lost when it never reaches a terminal state or vanishes without being deleted; a 5xx is
// unexpected unless it is the gateway passing on an upstream failure ("upstream: ...").
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { admin, gateway, stopAll } from "../worker/dev.mjs";

const SECONDS = Number(process.env.SOAK_SECONDS) || 600;
const RATE = 20, JOB_MS = 3000, V1 = "/dream-machine/v1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await admin("reset", {});
await admin("config", { job_ms: JOB_MS, callbacks: true });
await admin("faults", { seed: 7, rate_500: 0.005, rate_502: 0.005, rate_503: 0.005, rate_reset: 0.005 });
// Storage on disk, as deployed: rows are data, not memory (Miniflare keeps them in RAM otherwise).
const dir = mkdtempSync(join(tmpdir(), "soak-gateway-"));
const gw = await gateway("luma", { UPSTREAM_TYPICAL_JOB_MS: String(JOB_MS), CLIENT_TOKENS: "tok-a, tok-b:4", GATEWAY_METER: "1" }, { persist: dir });
const meter = async () => (await fetch(`${gw.base}/__meter`)).json();

/** workerd's resident memory, MB: the workerd processes this node process started. */
const rss = () => {
  const pids = execFileSync("pgrep", ["-P", String(process.pid), "workerd"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
  return pids.reduce((kb, pid) => kb + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0), 0) / 1024;
};

let jobs = 0, lost = 0, unexpected = 0, upstreamFailures = 0;
const done = [];
const check = (r, what) => {
  if (r.status < 500) return r;
  if (typeof r.json?.detail === "string" && r.json.detail.startsWith("upstream:")) upstreamFailures++;
  else {
    unexpected++;
    console.log(`unexpected ${r.status} on ${what}: ${JSON.stringify(r.json)}`);
  }
  return r;
};

async function job(i) {
  const token = i % 2 ? "tok-a" : "tok-b";
  const parent = done.length && i % 5 === 0 ? done[Math.floor(Math.random() * done.length)] : null;
  const body = parent && parent.token === token
    ? { model: "ray-2", prompt: `soak extend ${i}`, keyframes: { frame0: { type: "generation", id: parent.id } } }
    : { model: "ray-2", prompt: `soak job ${i}` };
  const c = check(await gw.call("POST", `${V1}/generations/video`, { token, body }), "create");
  if (c.status !== 201) return;
  jobs++;
  const until = Date.now() + 60_000;
  let g = c.json;
  while (g.state !== "completed" && g.state !== "failed" && Date.now() < until) {
    const r = check(await gw.call("GET", `${V1}/generations/${g.id}?wait=completed`, { token }), "get");
    if (r.status === 404) break;
    if (r.status === 200) g = r.json;
    else await sleep(500);
  }
  if (g.state !== "completed" && g.state !== "failed") {
    lost++;
    console.log(`lost ${g.id} in state ${g.state}`);
    return;
  }
  if (i % 5 === 1) check(await gw.call("GET", `${V1}/generations?limit=10`, { token }), "list");
  if (i % 5 === 2 && done.length > 3) check(await gw.call("GET", `${V1}/generations?ids=${done.slice(-3).map((d) => d.id).join(",")},${g.id}`, { token }), "batch");
  if (i % 10 === 3) {
    check(await gw.call("DELETE", `${V1}/generations/${g.id}`, { token }), "delete");
    return;
  }
  done.push({ id: g.id, token });
  if (done.length > 200) done.shift();
}

const samples = [];
const wasm0 = (await meter()).wasm_bytes;
const start = Date.now();
const sampler = setInterval(() => samples.push([(Date.now() - start) / 1000, rss()]), 10_000);
const running = new Set();
for (let i = 0; Date.now() - start < SECONDS * 1000; i++) {
  const p = job(i).catch((e) => { unexpected++; console.log(`job ${i} threw: ${e}`); }).finally(() => running.delete(p));
  running.add(p);
  await sleep(Math.max(0, start + ((i + 1) * 1000) / RATE - Date.now()));
}
await Promise.all(running);
clearInterval(sampler);
samples.push([(Date.now() - start) / 1000, rss()]);
const from = Math.min(120, SECONDS / 5);
const first = samples.find(([t]) => t >= from) ?? samples[0];
const last = samples.at(-1);
const seconds = Math.round((Date.now() - start) / 1000);
const m = await meter();
await stopAll();
rmSync(dir, { recursive: true, force: true });
console.log(`wasm memory ${(wasm0 / 2 ** 20).toFixed(1)} → ${(m.wasm_bytes / 2 ** 20).toFixed(1)} MB; long-polls still waiting ${m.waiting}`);
console.log(`rss (s, MB): ${samples.map(([t, mb]) => `${Math.round(t)}:${mb.toFixed(0)}`).join(" ")}; creates refused for upstream faults: ${upstreamFailures}`);
console.log(`gateway-soak: seconds=${seconds} jobs=${jobs} lost=${lost} unexpected_5xx=${unexpected} rss_start_mb=${first[1].toFixed(0)} rss_end_mb=${last[1].toFixed(0)} rss_growth_pct=${((100 * (last[1] - first[1])) / first[1]).toFixed(1)}`);
