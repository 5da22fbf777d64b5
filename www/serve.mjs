// The demo's static server: www/ at /, the built npm package (pkg/) at /pkg/, and /config.json
// telling the page where to send its calls. With --gateway it also runs one gateway per upstream
// in workerd (worker/dev.mjs; build it first with worker/build.sh), and the page talks only to
// those, with a demo client token. Loopback only.
// Usage: node www/serve.mjs --emulator http://127.0.0.1:P [--port 8080] [--gateway]
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const emulator = arg("--emulator", process.env.LUMA_EMULATOR_URL);
const port = Number(arg("--port", "0"));
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml" };
const typicalJobMs = Number(arg("--typical-job-ms", "5000"));
// config.json: which protocol and base URL the page uses for each provider, and the key to fill in.
const paths = { luma: "/dream-machine/v1", "luma-agents": "/v1", aimlapi: "", apiframe: "", gptge: "" };
const direct = Object.fromEntries(Object.entries(paths).map(([name, path]) => [name, { protocol: name, baseUrl: emulator + path }]));
let config = JSON.stringify({ via: "emulator", providers: direct, apiKey: "test-key", typicalJobMs });

const server = createServer(async (req, res) => {
  const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
  if (path === "/config.json") return res.writeHead(200, { "content-type": types[".json"] }).end(config);
  const [dir, rest] = path.startsWith("/pkg/") ? ["pkg", path.slice(5)] : ["www", path === "/" ? "index.html" : path.slice(1)];
  const file = normalize(join(root, dir, rest));
  if (!file.startsWith(join(root, dir))) return res.writeHead(403).end();
  let body;
  try {
    body = await readFile(file);
  } catch {
    return res.writeHead(404).end("not found");
  }
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" }).end(body);
});
server.listen(port, "127.0.0.1", async () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  if (process.argv.includes("--gateway")) {
    process.env.LUMA_EMULATOR_URL = emulator;
    const { gateway, stopAll } = await import("../worker/dev.mjs");
    for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => stopAll().finally(() => process.exit(0)));
    const providers = {};
    for (const upstream of Object.keys(paths)) {
      const gw = await gateway(upstream, { CLIENT_TOKENS: "demo-token", CALLER_LIMITS: "demo-token 30/min 300/day 10/running", ALLOWED_ORIGINS: origin, UPSTREAM_TYPICAL_JOB_MS: String(typicalJobMs) });
      providers[upstream] = { protocol: "gateway", baseUrl: `${gw.base}/dream-machine/v1` };
    }
    config = JSON.stringify({ via: "gateway", providers, apiKey: "demo-token", typicalJobMs });
    console.log(`gateways: ${Object.values(providers).map((p) => p.baseUrl).join(" ")}`);
  }
  console.log(`demo: ${origin}/`);
});
