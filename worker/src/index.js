// The luma-extend gateway: Luma's Dream Machine protocol in front of one upstream. The decisions
// (config, routes, callers, CORS, translation, records, polling) are Rust in the wasm; this file
// wires them to Workers, Durable Objects and fetch.
import wasm from "../build/luma_extend_bg.wasm";
import * as g from "../build/luma_extend.js";

g.initSync({ module: wasm });

const MAX_BODY = 64 * 1024;
const LONG_POLL_MS = 25_000;
const POLL_FOR_MS = 24 * 3600_000;
const RANK = { queued: 0, dreaming: 1, completed: 2, failed: 2 };

const json = (status, body, headers = []) =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: [["content-type", "application/json"], ...headers] });

/** A LumaError from the upstream as a Luma-shaped answer; the upstream key never leaves. */
function upstreamFailure(e, env) {
  const status = { invalid_request: 400, unsupported: 400, not_found: 404, rate_limited: 429, timeout: 504 }[e?.code] ?? 502;
  const detail = `upstream: ${String(e?.message ?? e)}`.replaceAll(env.UPSTREAM_API_KEY || "\u0000", "***");
  return { status, detail };
}

function upstream(env, config) {
  return new g.LumaClient({ provider: config.upstream, apiKey: env.UPSTREAM_API_KEY, baseUrl: config.baseUrl, maxRetries: 2 });
}

const generation = (env, id) => env.GENERATIONS.get(env.GENERATIONS.idFromName(id));
const callerIndex = (env, caller) => env.CALLERS.get(env.CALLERS.idFromName(caller));

/** The body as text, refused (413) past MAX_BODY bytes without reading further. */
async function readBody(request) {
  const tooLarge = { status: 413, detail: `The request body is over ${MAX_BODY} bytes` };
  if (Number(request.headers.get("content-length")) > MAX_BODY) throw tooLarge;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY) {
      await reader.cancel();
      throw tooLarge;
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  chunks.reduce((at, c) => (bytes.set(c, at), at + c.byteLength), 0);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw { status: 400, detail: "The request body is not UTF-8 JSON" };
  }
}

/** The caller's own generation, as a record, or null. */
async function own(env, id, caller) {
  const r = await generation(env, id).fetch(`https://do/record?owner=${caller}`);
  return r.ok ? r.json() : null;
}

async function get(env, id, caller, wait) {
  const r = await generation(env, id).fetch(`https://do/get?owner=${caller}&wait=${wait ?? ""}`);
  return r.ok ? r.json() : null;
}

async function create(request, env, config, caller, origin) {
  const body = await readBody(request);
  const ids = {};
  for (const id of g.gatewayKeyframeIds(body)) {
    const record = await own(env, id, caller);
    if (!record) throw { status: 400, detail: `Generation ${id} not found` };
    ids[id] = record.upstream_id;
  }
  const t = g.gatewayTranslate(body, config.upstream, ids, MAX_BODY);
  const id = crypto.randomUUID();
  const secret = crypto.randomUUID().replaceAll("-", "");
  const req = { ...t.request };
  // The Agents API has no callback field: for it the alarm alone polls.
  if (config.upstream !== "luma-agents") req.callbackUrl = `${origin}/callbacks/${id}/${secret}`;
  if (config.upstream === "apiframe") req.callbackSecret = secret;
  let created;
  try {
    created = await (t.kind === "extend" ? upstream(env, config).extend(req) : upstream(env, config).generate(req));
  } catch (e) {
    throw upstreamFailure(e, env);
  }
  const record = {
    id, upstream_id: created.id, owner: caller, parent: t.parent, callback_secret: secret,
    created_at: new Date().toISOString(), request: JSON.parse(body), generation: created,
  };
  await Promise.all([
    generation(env, id).fetch("https://do/init", { method: "PUT", body: JSON.stringify(record) }),
    callerIndex(env, caller).fetch("https://do/add", { method: "POST", body: id }),
  ]);
  return g.recordLuma(record);
}

export default {
  async fetch(request, env) {
    let config;
    try {
      config = g.gatewayConfig(env);
    } catch (e) {
      return json(503, { detail: `The gateway is not configured: ${e}` });
    }
    const url = new URL(request.url);
    const cors = g.gatewayCors(request.headers.get("origin") ?? undefined, config.origins);
    try {
      const route = g.gatewayRoute(request.method, url.pathname, url.search);
      if (route.kind === "preflight") return new Response(null, { status: cors.length ? 204 : 403, headers: cors });
      if (route.kind === "healthz") return json(200, { ok: true, upstream: config.upstream }, cors);
      if (route.kind === "callback") {
        const headers = { "x-secret": route.secret, "x-webhook-secret": request.headers.get("x-webhook-secret") ?? "" };
        const r = await generation(env, route.id).fetch("https://do/callback", { method: "POST", headers });
        return json(r.status, await r.json());
      }
      const caller = g.gatewayCaller(request.headers.get("authorization") ?? undefined, config.tokens);
      switch (route.kind) {
        case "create":
          return json(201, await create(request, env, config, caller, url.origin), cors);
        case "get": {
          const found = await get(env, route.id, caller, route.wait);
          return found ? json(200, found, cors) : json(404, { detail: "Generation not found" }, cors);
        }
        case "batch": {
          const found = await Promise.all(route.ids.map((id) => get(env, id, caller, false)));
          return json(200, { generations: found.filter(Boolean) }, cors);
        }
        case "list": {
          const { ids, has_more } = await (await callerIndex(env, caller).fetch(`https://do/list?offset=${route.offset}&limit=${route.limit}`)).json();
          const generations = (await Promise.all(ids.map((id) => get(env, id, caller, false)))).filter(Boolean);
          return json(200, { generations, count: generations.length, has_more, limit: route.limit, offset: route.offset }, cors);
        }
        case "delete": {
          const record = await own(env, route.id, caller);
          if (!record) return json(404, { detail: "Generation not found" }, cors);
          // Where the upstream can delete (luma), its copy goes too.
          const call = g.upstreamDeleteRequest(config.upstream, config.baseUrl, env.UPSTREAM_API_KEY, record.upstream_id);
          if (call) {
            const r = await fetch(call.url, { method: call.method, headers: call.headers });
            if (!r.ok && r.status !== 404) throw upstreamFailure({ message: `delete answered ${r.status}` }, env);
          }
          await generation(env, route.id).fetch(`https://do/delete?owner=${caller}`, { method: "POST" });
          await callerIndex(env, caller).fetch("https://do/remove", { method: "POST", body: route.id });
          return new Response(null, { status: 204, headers: cors });
        }
      }
      return json(404, { detail: "Not found" }, cors);
    } catch (e) {
      if (e && typeof e.status === "number" && e.status < 600) return json(e.status, { detail: e.detail ?? "Bad request" }, cors);
      return json(502, { detail: "The gateway could not complete the request" }, cors);
    }
  },
};

/** One generation: its record, its long-poll waiters, its alarm-driven polling. */
export class GenerationObject {
  constructor(state, env) {
    this.state = state;
    this.env = env;
    this.waiters = [];
  }

  async fetch(request) {
    const url = new URL(request.url);
    const record = await this.state.storage.get("record");
    const owner = url.searchParams.get("owner");
    switch (url.pathname) {
      case "/init": {
        const fresh = await request.json();
        await this.state.storage.put({ record: fresh, created: Date.now() });
        await this.schedule(fresh);
        const config = g.gatewayConfig(this.env);
        if (config.appWebhookUrl) await this.notify(config, fresh, "generation.created");
        return json(200, { ok: true });
      }
      case "/record":
        return record && record.owner === owner ? json(200, record) : json(404, { detail: "Generation not found" });
      case "/get": {
        if (!record || record.owner !== owner) return json(404, { detail: "Generation not found" });
        // ?wait=dreaming|completed: hold until that state or a later one, or about 25 s.
        const wanted = RANK[url.searchParams.get("wait")] ?? 0;
        const until = Date.now() + LONG_POLL_MS;
        let current = record;
        while (RANK[current.generation.state] < wanted && Date.now() < until) {
          await this.changed(until - Date.now());
          current = await this.state.storage.get("record");
        }
        return json(200, g.recordLuma(current));
      }
      case "/callback": {
        if (!record) return json(404, { detail: "Generation not found" });
        const apiframe = g.gatewayConfig(this.env).upstream === "apiframe";
        const secretOk = g.secretsEqual(request.headers.get("x-secret") ?? "", record.callback_secret)
          && (!apiframe || g.secretsEqual(request.headers.get("x-webhook-secret") ?? "", record.callback_secret));
        if (!secretOk) return json(401, { detail: "Invalid callback secret" });
        await this.refresh();
        return json(200, { ok: true });
      }
      case "/delete":
        if (!record || record.owner !== owner) return json(404, { detail: "Generation not found" });
        await this.state.storage.deleteAll();
        return json(200, { ok: true });
    }
    return json(404, { detail: "Not found" });
  }

  terminal(record) {
    return record.generation.state === "completed" || record.generation.state === "failed";
  }

  changed(ms) {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiters.push(() => { clearTimeout(timer); resolve(); });
    });
  }

  /** Re-fetches from the upstream; a callback's body is never trusted. */
  async refresh() {
    const record = await this.state.storage.get("record");
    if (!record || this.terminal(record)) return;
    const config = g.gatewayConfig(this.env);
    const fresh = await upstream(this.env, config).get(record.upstream_id);
    const out = g.recordApply(record, fresh);
    if (!out.changed) return;
    await this.state.storage.put("record", out.record);
    this.waiters.splice(0).forEach((wake) => wake());
    if (config.appWebhookUrl) await this.notify(config, out.record, "generation.updated");
  }

  /** A Standard Webhooks event to the app; its failure never fails the gateway. */
  async notify(config, record, type) {
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: g.recordLuma(record) });
    const headers = g.signWebhook(config.appWebhookSecret, `msg_${crypto.randomUUID()}`, Math.floor(Date.now() / 1000), body);
    await fetch(config.appWebhookUrl, { method: "POST", body, headers: [["content-type", "application/json"], ...headers] }).catch(() => {});
  }

  async schedule(record) {
    if (this.terminal(record)) return;
    const created = (await this.state.storage.get("created")) ?? Date.now();
    // A job the upstream never finishes is not polled forever; a callback can still update it.
    if (Date.now() - created > POLL_FOR_MS) return;
    const typical = Number(this.env.UPSTREAM_TYPICAL_JOB_MS) || undefined;
    const wait = g.recordNextPollMs(record, created, Date.now(), typical);
    await this.state.storage.setAlarm(Date.now() + Math.max(wait, 100));
  }

  /** The fallback when callbacks do not come: poll on the core's schedule. */
  async alarm() {
    try {
      await this.refresh();
    } catch {
      // The next alarm tries again.
    }
    const record = await this.state.storage.get("record");
    if (record) await this.schedule(record);
  }
}

/** The generations each caller created, newest first, for list: one key per generation. */
export class CallerIndex {
  constructor(state) {
    this.state = state;
  }

  async fetch(request) {
    const url = new URL(request.url);
    const storage = this.state.storage;
    switch (url.pathname) {
      case "/add": {
        const id = await request.text();
        // Keys sort newest first: a count-down clock, then a sequence number for the same ms.
        const seq = ((await storage.get("seq")) ?? 0) + 1;
        const key = `i:${String(1e15 - Date.now()).padStart(16, "0")}:${String(1e9 - seq).padStart(10, "0")}`;
        await storage.put({ seq, [key]: id, [`k:${id}`]: key });
        return json(200, { ok: true });
      }
      case "/remove": {
        const id = await request.text();
        const key = await storage.get(`k:${id}`);
        if (key) await storage.delete([key, `k:${id}`]);
        return json(200, { ok: true });
      }
      case "/list": {
        const offset = Number(url.searchParams.get("offset")) || 0;
        const limit = Number(url.searchParams.get("limit")) || 10;
        const page = await storage.list({ prefix: "i:", limit: offset + limit + 1 });
        const ids = [...page.values()];
        return json(200, { ids: ids.slice(offset, offset + limit), has_more: ids.length > offset + limit });
      }
    }
    return json(404, { detail: "Not found" });
  }
}
