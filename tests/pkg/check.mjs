// The packed npm tarball, installed into an empty project, used the way users will: from Node
// ESM, from a page in headless Chromium, and from a Worker in workerd. Each talks to the
// emulator at LUMA_EMULATOR_URL and must see a generation through to its video.
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const emulator = process.env.LUMA_EMULATOR_URL;
assert.ok(emulator, "run under scripts/with-emulator.sh");
await fetch(`${emulator}/__emulator/config`, { method: "POST", body: JSON.stringify({ job_ms: 500 }) });

// 1. npm pack, then install the tarball into an empty project.
const project = mkdtempSync(join(tmpdir(), "luma-extend-user-"));
execFileSync("npm", ["pack", "--silent", "--pack-destination", project], { cwd: join(root, "pkg"), stdio: ["ignore", "ignore", "inherit"] });
const tarball = readdirSync(project).find((f) => f.endsWith(".tgz"));
writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-app", private: true, type: "module" }));
execFileSync("npm", ["install", "--silent", "--no-audit", "--no-fund", `./${tarball}`], { cwd: project, stdio: ["ignore", "ignore", "inherit"] });

// The same little program everywhere: generate, wait, extend, wait; report what it saw.
const program = `
  const PROVIDER = globalThis.PROVIDER ?? "luma";
  const client = new LumaClient({ provider: PROVIDER, apiKey: "test-key", baseUrl: EMULATOR + (PROVIDER === "luma" ? "/dream-machine/v1" : "/v1") });
  const g = await client.generate({ prompt: "A jellyfish in the ocean", aspectRatio: "16:9" });
  const done = await client.wait(g.id);
  const ext = await client.extend({ generationId: done.id, prompt: "It dives", direction: "backward" });
  const extended = await client.wait(ext.id);
  let code = "";
  try { await client.generate({ prompt: "hi", aspectRatio: "19:9" }); } catch (e) { code = (e instanceof LumaError) + ":" + e.code; }
  const watched = [];
  const next = await client.generate({ prompt: "A jellyfish, watched" });
  for await (const w of client.watch(next.id)) watched.push(w.state);
  const both = await client.waitAll([done.id, next.id]);
  const many = await client.getMany([next.id, done.id]);
  const result = { state: extended.state, video: extended.videoUrl, parent: done.videoUrl, code, watched,
    waitAll: both.map((x) => x.state), getMany: many.map((x) => x.id === next.id || x.id === done.id) };
`;
const check = (where, r) => {
  assert.equal(r.state, "completed", where);
  assert.match(r.video, /^http:\/\/127\.0\.0\.1:\d+\/videos\/.+\.mp4$/, where);
  assert.notEqual(r.video, r.parent, where);
  assert.equal(r.code, "true:invalid_request", where);
  assert.equal(r.watched.at(-1), "completed", `${where}: watch ends on the terminal state (${r.watched})`);
  assert.deepEqual(r.waitAll, ["completed", "completed"], where);
  assert.deepEqual(r.getMany, [true, true], where);
  console.log(`pkg: ${where} ok`);
};

// 2. Node ESM, resolving the package by name (the "node" condition).
const nodeScript = join(project, "node-check.mjs");
writeFileSync(nodeScript, `import { LumaClient, LumaError } from "luma-extend";\nconst EMULATOR = ${JSON.stringify(emulator)};\n${program}\nconsole.log(JSON.stringify(result));`);
check("node", JSON.parse(execFileSync("node", [nodeScript], { cwd: project, encoding: "utf8" }).trim().split("\n").pop()));
// The same program on Luma's Agents API.
const agentsScript = join(project, "node-agents-check.mjs");
writeFileSync(agentsScript, `globalThis.PROVIDER = "luma-agents";\n${readFileSync(nodeScript, "utf8")}`);
check("node (luma-agents)", JSON.parse(execFileSync("node", [agentsScript], { cwd: project, encoding: "utf8" }).trim().split("\n").pop()));

// verifyWebhook, on the Standard Webhooks specification's published example.
const webhookScript = join(project, "webhook-check.mjs");
writeFileSync(webhookScript, `import { verifyWebhook, LumaError } from "luma-extend/webhooks";
import { LumaError as MainLumaError } from "luma-extend";
const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", body = '{"test": 2432232314}';
const headers = { "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek", "webhook-timestamp": "1614265330", "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" };
const ok = verifyWebhook(secret, body, new Headers(headers), 1614265330);
let tampered = "", stale = "";
try { verifyWebhook(secret, body.replace("4", "5"), headers, 1614265330); } catch (e) { tampered = (e instanceof LumaError) + ":" + e.code; }
try { verifyWebhook(secret, body, headers, 1614265330 + 301); } catch (e) { stale = e.code; }
console.log(JSON.stringify({ ok, tampered, stale, sameClass: MainLumaError === LumaError }));`);
const hook = JSON.parse(execFileSync("node", [webhookScript], { cwd: project, encoding: "utf8" }).trim());
assert.deepEqual(hook, { ok: { test: 2432232314 }, tampered: "true:unauthorized", stale: "unauthorized", sameClass: true });
console.log("pkg: verifyWebhook ok");

// 3. A page in headless Chromium, importing the "browser" entry through an import map.
const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".json": "application/json" };
writeFileSync(join(project, "index.html"), `<!doctype html><script type="importmap">{"imports":{"luma-extend":"./node_modules/luma-extend/browser.js"}}</script>
<script type="module">import { LumaClient, LumaError } from "luma-extend"; const EMULATOR = ${JSON.stringify(emulator)};
try { ${program} window.result = result; } catch (e) { window.result = { error: String(e) }; }</script>`);
const server = createServer(async (req, res) => {
  try {
    const path = join(project, decodeURIComponent(new URL(req.url, "http://x").pathname));
    const body = await readFile(path.endsWith("/") ? join(path, "index.html") : path);
    res.writeHead(200, { "content-type": types[extname(path)] ?? "text/html" }).end(body);
  } catch {
    res.writeHead(404).end();
  }
}).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.result, null, { timeout: 60_000 });
  const r = await page.evaluate(() => window.result);
  assert.equal(r.error, undefined, r.error);
  check("chromium", r);
} finally {
  await browser.close();
  server.close();
}

// 4. A Worker in workerd: bundled with the "workerd" condition, the .wasm kept as a module.
const out = join(project, "worker-out");
writeFileSync(join(project, "worker.js"), `import { LumaClient, LumaError } from "luma-extend";
export default { async fetch(request) { const EMULATOR = new URL(request.url).searchParams.get("emulator");
  try { ${program} return Response.json(result); } catch (e) { return Response.json({ error: String(e) }); } } };`);
await esbuild.build({
  entryPoints: [join(project, "worker.js")], bundle: true, format: "esm", outdir: out,
  conditions: ["workerd", "worker"], loader: { ".wasm": "copy" }, logLevel: "error",
});
const wasmFile = readdirSync(out).find((f) => f.endsWith(".wasm"));
const mf = new Miniflare({
  modules: [
    { type: "ESModule", path: join(out, "worker.js") },
    { type: "CompiledWasm", path: join(out, wasmFile) },
  ],
  modulesRoot: out,
  compatibilityDate: "2025-01-01",
});
try {
  const resp = await mf.dispatchFetch(`http://worker.test/?emulator=${encodeURIComponent(emulator)}`);
  const r = await resp.json();
  assert.equal(r.error, undefined, r.error);
  check("workerd", r);
} finally {
  await mf.dispose();
}
