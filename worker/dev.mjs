// Runs the built gateway (worker/build.sh) locally in workerd, through Miniflare, in front of
// the emulator at LUMA_EMULATOR_URL: for the tests, the benchmark and the demo.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";

const here = dirname(fileURLToPath(import.meta.url));
export const emulator = process.env.LUMA_EMULATOR_URL;
if (!emulator) throw new Error("run under scripts/with-emulator.sh");
export const UPSTREAM_KEY = "test-key";
export const admin = (path, body) =>
  fetch(`${emulator}/__emulator/${path}`, { method: body ? "POST" : "GET", body: body && JSON.stringify(body) }).then((r) => r.json());

const out = mkdtempSync(join(tmpdir(), "gateway-"));
await esbuild.build({ entryPoints: [join(here, "src/index.js")], bundle: true, format: "esm", outdir: out, loader: { ".wasm": "copy" }, logLevel: "error" });
const wasmFile = readdirSync(out).find((f) => f.endsWith(".wasm"));
const running = [];
/** Where each upstream's API lives on the emulator (the rest serve from its root). */
const PREFIX = { luma: "/dream-machine/v1", "luma-agents": "/v1" };

/**
 * A gateway for `upstream`; `call` records every answer so tests can look for leaks. With
 * `persist` (a directory) its Durable Objects keep their SQLite files there, as deployed,
 * instead of in memory.
 */
export async function gateway(upstream, extra = {}, { persist } = {}) {
  const mf = new Miniflare({
    ...(persist && { durableObjectsPersist: persist }),
    modules: [{ type: "ESModule", path: join(out, "index.js") }, { type: "CompiledWasm", path: join(out, wasmFile) }],
    modulesRoot: out,
    compatibilityDate: "2025-01-01",
    durableObjects: { SHARDS: { className: "CallerShard", useSQLite: true }, LENGTHS: { className: "LearnedLengths", useSQLite: true } },
    bindings: {
      UPSTREAM: upstream, UPSTREAM_BASE_URL: `${emulator}${PREFIX[upstream] ?? ""}`,
      UPSTREAM_API_KEY: UPSTREAM_KEY, CLIENT_TOKENS: "tok-a, tok-b", ALLOWED_ORIGINS: "https://app.test", UPSTREAM_TYPICAL_JOB_MS: "600", ...extra,
    },
  });
  running.push(mf);
  const base = String(await mf.ready).replace(/\/$/, "");
  const seen = [];
  const call = async (method, path, { token = "tok-a", body, headers = {} } = {}) => {
    const h = { ...headers };
    if (token) h.authorization = `Bearer ${token}`;
    const r = await fetch(`${base}${path}`, { method, headers: h, body: typeof body === "string" ? body : body && JSON.stringify(body) });
    const text = await r.text();
    seen.push(text + JSON.stringify([...r.headers]));
    return { status: r.status, headers: r.headers, json: text ? JSON.parse(text) : null };
  };
  const dispose = () => (running.splice(running.indexOf(mf), 1), mf.dispose());
  return { base, call, seen, dispose };
}

export const stopAll = () => Promise.all(running.splice(0).map((mf) => mf.dispose()));
