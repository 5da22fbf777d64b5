// The luma-extend gateway: Luma's Dream Machine protocol in front of one upstream. The decisions
// (config, routes, callers, shards, CORS, translation, records, polling) are Rust in the wasm;
// this file routes each request to the shard object that holds its generations (shard.js).
import { admitCreate } from "./admission.js";
import { g, json, meter, refuse, refusal, wasmBytes } from "./common.js";

export { CallerShard } from "./shard.js";
export { LearnedLengths } from "./lengths.js";

const MAX_BODY = 64 * 1024;

/** The body as text, refused (413) past MAX_BODY bytes without reading further. */
async function readBody(request) {
  const tooLarge = refuse(413, `The request body is over ${MAX_BODY} bytes`);
  const length = request.headers.get("content-length");
  if (Number(length) > MAX_BODY) throw tooLarge;
  if (!request.body) return "";
  // A declared length within the limit bounds what the runtime reads: one native read, without
  // a JS turn per chunk. A body of unknown length is read chunk by chunk, to stop at the limit.
  const bytes = /^\d+$/.test(length ?? "") ? new Uint8Array(await request.arrayBuffer()) : await readCapped(request.body, tooLarge);
  if (bytes.byteLength > MAX_BODY) throw tooLarge;
  try {
    return utf8.decode(bytes);
  } catch {
    throw refuse(400, "The request body is not UTF-8 JSON");
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

async function readCapped(body, tooLarge) {
  const reader = body.getReader();
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
  return bytes;
}

/** A shard's answer. An overloaded or failing object is a 429 or 503 with Retry-After, never a bare 5xx. */
async function ask(env, shard, path, init) {
  try {
    return await env.SHARDS.get(env.SHARDS.idFromName(shard)).fetch(`https://shard${path}`, init);
  } catch (e) {
    console.log(JSON.stringify({ shard_unreachable: String(e?.message ?? e), overloaded: Boolean(e?.overloaded) }));
    if (e?.overloaded) throw refuse(429, "The gateway is busy; retry after the time in Retry-After", [["retry-after", "1"]]);
    throw refuse(503, "The gateway could not reach its storage; retry later", [["retry-after", "1"]]);
  }
}

/** The shard's answer, with the CORS headers; as it is when there are none (no copy of it). */
const relay = (r, cors) => (cors.length ? new Response(r.body, { status: r.status, headers: [...r.headers, ...cors] }) : r);
const notFound = (cors) => json(404, { detail: "Generation not found" }, cors);

async function create(request, env, config, caller, shards, origin, cors) {
  const body = await readBody(request);
  const key = request.headers.get("idempotency-key") ?? undefined;
  if (key !== undefined && !/^[\x21-\x7e]{1,255}$/.test(key)) throw refuse(400, "Idempotency-Key must be 1 to 255 visible ASCII characters");
  // Keyframe generations must be the caller's own: their upstream ids come from their shards.
  const ids = {};
  for (const id of g.gatewayKeyframeIds(body)) {
    const shard = g.gatewayShardOf(id);
    if (!shard || !shards.includes(shard)) continue;
    const r = await ask(env, shard, `/upstream-id?id=${id}&owner=${caller.id}`);
    if (r.ok) ids[id] = (await r.json()).upstream_id;
  }
  const t = g.gatewayTranslate(body, config.upstream, ids, MAX_BODY, config.upstreamModel);
  // One key always lands on one shard, where racing twins meet.
  const pick = key ? parseInt(g.gatewaySha256(key).slice(0, 8), 16) : Math.floor(Math.random() * 2 ** 32);
  const shard = shards[pick % shards.length];
  const job = { shard, caller: caller.id, limits: caller.limits, shardCount: shards.length, kind: t.kind, request: t.request, parent: t.parent, echo: t.echo, origin, key, hash: key && g.gatewaySha256(body) };
  let r;
  try {
    r = await ask(env, shard, "/create", { method: "POST", body: JSON.stringify(job) });
  } catch (e) {
    if (e.status === 429) throw e;
    // The shard may have created it upstream: a blind retry could bill twice.
    throw refuse(502, "The gateway could not confirm the create; retry with the same Idempotency-Key, or list to look for it", [["x-should-retry", "false"]]);
  }
  return relay(r, cors);
}

async function list(env, caller, shards, route, cors) {
  const one = shards.length === 1;
  // One shard pages itself; several each give their first offset+limit+1 rows to merge.
  const skip = one ? route.offset : 0;
  const take = one ? route.limit + 1 : route.offset + route.limit + 1;
  const pages = await Promise.all(shards.map(async (s) => (await ask(env, s, `/page?owner=${caller}&skip=${skip}&take=${take}`)).json()));
  let generations, hasMore;
  if (one) {
    generations = pages[0].slice(0, route.limit).map((row) => row[2]);
    hasMore = pages[0].length > route.limit;
  } else {
    const byId = new Map(pages.flat().map((row) => [row[1], row[2]]));
    const merged = g.gatewayMerge(pages.map((rows) => rows.map((row) => [row[0], row[1]])), route.offset, route.limit);
    generations = merged.ids.map((id) => byId.get(id));
    hasMore = merged.has_more;
  }
  return json(200, { generations, count: generations.length, has_more: hasMore, limit: route.limit, offset: route.offset }, cors);
}

/** A batch get wakes each of the caller's shards at most once. */
async function batch(env, caller, shards, ids, cors) {
  const byShard = new Map();
  for (const id of ids) {
    const shard = g.gatewayShardOf(id);
    if (shard && shards.includes(shard)) byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
  }
  const found = await Promise.all([...byShard].map(async ([s, mine]) => (await (await ask(env, s, `/batch?owner=${caller}&ids=${mine.join(",")}`)).json()).generations));
  const byId = new Map(found.flat().map((x) => [x.id, x]));
  return json(200, { generations: ids.map((id) => byId.get(id)).filter(Boolean) }, cors);
}

/** The upstream's callback: refused with the same 404 as an unknown id, before any object wakes. */
async function callback(request, env, config, route) {
  const shard = g.gatewayShardOf(route.id);
  const expected = shard ? g.gatewayCallbackSecret(env.UPSTREAM_API_KEY, route.id) : "";
  const ok = shard && g.secretsEqual(route.secret, expected)
    && (config.upstream !== "apiframe" || g.secretsEqual(request.headers.get("x-webhook-secret") ?? "", expected));
  if (!ok) return notFound([]);
  // The body goes along: an unconfirmed record learns its upstream id from it (then checks it).
  const body = await readBody(request).then((b) => b, () => "");
  return relay(await ask(env, shard, `/callback?id=${route.id}`, { method: "POST", body }), []);
}

/** A caller's shard names, made once per isolate (callers are the configured tokens: few). */
const shardNames = new Map();
function shardsOf(caller) {
  let names = shardNames.get(caller.id);
  if (!names) shardNames.set(caller.id, (names = Array.from({ length: caller.shards }, (_, i) => g.gatewayShardName(caller.id, i))));
  return names;
}

/** The checked configuration, read once per `env` (an isolate's settings do not change under it). */
const configs = new WeakMap();
function configOf(env) {
  if (!configs.has(env)) {
    try {
      configs.set(env, { config: g.gatewayConfig(env) });
    } catch (e) {
      configs.set(env, { error: String(e) });
    }
  }
  return configs.get(env);
}

export default {
  async fetch(request, env) {
    const { config, error } = configOf(env);
    if (error) return json(503, { detail: `The gateway is not configured: ${error}` });
    const url = new URL(request.url);
    if (env.GATEWAY_METER === "1" && url.pathname === "/__meter") return json(200, { ...meter, wasm_bytes: wasmBytes() });
    meter.worker_requests++;
    // Without an Origin (servers, SDKs) there is nothing to allow.
    const origin = request.headers.get("origin");
    const cors = origin === null ? [] : g.gatewayCors(origin, config.origins);
    try {
      let route, routeError;
      try {
        route = g.gatewayRoute(request.method, url.pathname, url.search);
      } catch (e) {
        routeError = e;
      }
      if (route?.kind === "preflight") return new Response(null, { status: cors.length ? 204 : 403, headers: cors });
      if (route?.kind === "healthz") return json(200, { ok: true, upstream: config.upstream }, cors);
      if (route?.kind === "callback") return await callback(request, env, config, route);
      // The token first: without one, nobody learns anything about the routes.
      const caller = g.gatewayCaller(request.headers.get("authorization") ?? undefined, config.tokens, config.shards, config.limits);
      if (routeError) throw routeError;
      const shards = shardsOf(caller);
      const own = (id) => {
        const shard = g.gatewayShardOf(id);
        return shard && shards.includes(shard) ? shard : null;
      };
      switch (route.kind) {
        case "create": {
          const release = admitCreate(request.headers.get("idempotency-key"), Number(env.CREATES_RUNNING) || undefined);
          try {
            return await create(request, env, config, caller, shards, env.PUBLIC_URL?.replace(/\/$/, "") || url.origin, cors);
          } finally {
            release();
          }
        }
        case "get": {
          const shard = own(route.id);
          return shard ? relay(await ask(env, shard, `/get?id=${route.id}&owner=${caller.id}&wait=${route.wait ?? ""}`), cors) : notFound(cors);
        }
        case "capabilities":
          return json(200, JSON.parse(g.gatewayCapabilities(config.upstream, config.upstreamModel)), cors);
        case "batch":
          return await batch(env, caller.id, shards, route.ids, cors);
        case "list":
          return await list(env, caller.id, shards, route, cors);
        case "delete": {
          const shard = own(route.id);
          return shard ? relay(await ask(env, shard, `/delete?id=${route.id}&owner=${caller.id}`, { method: "POST" }), cors) : notFound(cors);
        }
      }
      return json(404, { detail: "Not found" }, cors);
    } catch (e) {
      if (e && typeof e.status === "number" && e.status < 600) return refusal(e, cors);
      console.log(JSON.stringify({ gateway_error: String(e?.stack ?? e) }));
      return json(502, { detail: "The gateway could not complete the request" }, cors);
    }
  },
};
