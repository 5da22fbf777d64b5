// The client's contract off the happy path (contract-cases.mjs), run on the built package in
// Node and in a headless Chromium page, against a scripted Luma-shaped server on 127.0.0.1
// whose answers misbehave on purpose: slow, 429 with Retry-After: 0, long-polls answered at
// once, dropped connections.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { LumaClient, LumaError } from "../../pkg/node.js";
import { runAll } from "./contract-cases.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const counts = new Map();
const lastBodies = new Map();
const seen = new Map();
const keys = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const generation = (id, state, createdMs = Date.now()) => ({
  id, state, created_at: new Date(createdMs).toISOString(),
  assets: state === "completed" ? { video: "https://cdn.example/v.mp4" } : null,
});

/** Luma's routes, per scenario. */
async function scenario(name, req, path, body) {
  const id = path.split("/").pop().split("?")[0];
  if (name === "slow") await sleep(3000);
  if (name === "r429") return [429, { detail: "slow down" }, { "retry-after": "0" }];
  if (name === "reset" && req.method === "POST") return "reset";
  if (name === "flaky" && req.method === "POST") {
    // A gateway that drops the first attempt of each Idempotency-Key after reading it.
    const key = req.headers["idempotency-key"] ?? "";
    keys.push(key);
    if (keys.filter((k) => k === key).length === 1) return "reset";
  }
  if (path === "/capabilities") {
    // A gateway in front of APIFRAME says so; the others predate the route.
    if (name !== "apiframe-gw") return [404, { detail: "The gateway does not serve GET /capabilities" }];
    return [200, { upstream: "apiframe", models: ["ray-2"], backward: false, interpolate: false, image_extend: true, loop_on_extend: false, concepts: false }];
  }
  if (req.method === "POST") {
    lastBodies.set(name, body);
    return [201, { ...generation(crypto.randomUUID(), "queued"), request: body }];
  }
  if (req.method === "DELETE") return [204, null];
  if (path.startsWith("/generations?") || path === "/generations") {
    const list = name === "reset" ? [] : [generation(crypto.randomUUID(), "completed"), generation(crypto.randomUUID(), "dreaming")];
    return [200, { generations: list }];
  }
  if (name === "dreaming") return [200, generation(id, "dreaming")];
  if (name === "failed") return [200, { ...generation(id, "failed"), failure_reason: "Job failed" }];
  if (name === "old") return [200, generation(id, "dreaming", Date.now() - 100_000)];
  if (name === "steps") {
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return [200, generation(id, ["queued", "dreaming", "completed"][Math.min(n, 3) - 1])];
  }
  return [200, generation(id, "completed")];
}

const types = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm" };
const server = createServer(async (req, res) => {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const url = new URL(req.url, "http://x");
  const [, kind, name, ...rest] = url.pathname.split("/");
  if (kind === "closed-port") return res.end(JSON.stringify({ port: closedPort }));
  if (kind === "count") return res.end(JSON.stringify({ n: counts.get(name) ?? 0 }));
  if (kind === "keys") return res.end(JSON.stringify({ keys }));
  if (kind === "last") return res.end(JSON.stringify({ body: lastBodies.get(name) ?? null }));
  if (kind === "s") {
    counts.set(name, (counts.get(name) ?? 0) + 1);
    const text = Buffer.concat(chunks).toString();
    const answer = await scenario(name, req, "/" + rest.join("/") + url.search, text ? JSON.parse(text) : null);
    if (answer === "reset") return req.socket.destroy();
    const [status, body, headers = {}] = answer;
    if (res.destroyed) return;
    res.writeHead(status, { "content-type": "application/json", ...headers });
    return res.end(body === null ? "" : JSON.stringify(body));
  }
  try {
    const file = url.pathname === "/" ? join(root, "tests/pkg/contract.html") : join(root, url.pathname);
    const content = await readFile(file);
    res.writeHead(200, { "content-type": types[extname(file)] ?? "text/html" }).end(content);
  } catch {
    res.writeHead(404).end();
  }
}).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const srv = `http://127.0.0.1:${server.address().port}`;
// A loopback port nobody listens on, for refused connections.
const spare = createServer().listen(0, "127.0.0.1");
await new Promise((r) => spare.once("listening", r));
const closedPort = spare.address().port;
await new Promise((r) => spare.close(r));

function report(runtime, outcomes) {
  for (const o of outcomes) console.log(`${o.ok ? "ok  " : "FAIL"} ${runtime}: ${o.name}${o.ok ? "" : `\n     ${o.detail}`}`);
  return outcomes.filter((o) => !o.ok).length;
}

let failed = 0;
try {
  failed += report("node", await runAll(LumaClient, LumaError, srv, "node"));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${srv}/`);
    await page.waitForFunction(() => window.outcomes, null, { timeout: 240_000, polling: 500 });
    failed += report("chromium", await page.evaluate(() => window.outcomes));
    if (errors.length) {
      console.log(`FAIL chromium: uncaught errors in the page: ${errors.join("; ")}`);
      failed++;
    }
  } finally {
    await browser.close();
  }
} finally {
  server.close();
  server.closeAllConnections();
}
if (failed) {
  console.error(`${failed} contract case(s) failed`);
  process.exit(1);
}
console.log("contract: every case holds in Node and Chromium");
