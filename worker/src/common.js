// What the Worker and its shard objects share: the wasm, answers in Luma's shape, the upstream
// client's lifetime, and the bench's meter.
import wasm from "../build/luma_extend_bg.wasm";
import * as g from "../build/luma_extend.js";

const exports = g.initSync({ module: wasm });
export { g };

/** Counts for `make bench-gateway` (read at /__meter when GATEWAY_METER=1; one isolate locally). */
export const meter = { worker_requests: 0, do_requests: 0, rows_written: 0, do_busy_ms: 0, upstream_polls: 0, upstream_reads: 0, alarms: 0, waiting: 0, lengths_requests: 0 };
export const wasmBytes = () => exports.memory.buffer.byteLength;

export const json = (status, body, headers = []) =>
  new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: [["content-type", "application/json"], ["cache-control", "no-store"], ...headers],
  });

/** A refusal the Worker answers as is (status < 500 unless the gateway itself is at fault). */
export const refuse = (status, detail, headers = []) => ({ status, detail, headers });

/** A refusal as the answer: Luma's `detail`, and the gateway's `code` and `request_id` where set. */
export const refusal = (e, cors = []) =>
  json(e.status, { detail: e.detail ?? "Bad request", ...(e.code && { code: e.code, request_id: e.request_id }), ...(e.id && { id: e.id }) }, [...(e.headers ?? []), ...cors]);

const UPSTREAM_ANSWERS = {
  invalid_request: [400, "the upstream refused the request as invalid"],
  unsupported: [400, "the upstream cannot do what the request asks"],
  not_found: [404, "the upstream does not know this generation"],
  rate_limited: [429, "the upstream is rate limiting the gateway; retry later"],
  timeout: [504, "the upstream did not answer in time"],
  unauthorized: [502, "the upstream refused the gateway's key"],
};

/** The upstream's text for the log, without the key in any case or in base64. */
function redact(text, key) {
  if (!key) return text;
  let out = text;
  for (const k of [key, btoa(key)]) out = out.replace(new RegExp(k.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "gi"), "***");
  return out;
}

/** Failures after which the upstream may or may not have made the job. */
const AMBIGUOUS = ["network", "timeout", "bad_response", "server_error"];

/**
 * A LumaError from the upstream as the gateway's own answer: a stable code and a request id,
 * never the upstream's text (which may name its account or echo the key); that goes to the log.
 * An ambiguous create says so, with `x-should-retry: false`: SDKs retry a bare 502, and a blind
 * retry could bill twice.
 */
export function upstreamFailure(e, what, env) {
  const code = e?.code ?? "network";
  const [status, text] = UPSTREAM_ANSWERS[code] ?? [502, `the upstream ${what} failed (${code})`];
  const requestId = crypto.randomUUID();
  console.log(JSON.stringify({ request_id: requestId, upstream_error: code, what, status: e?.status, message: redact(String(e?.message ?? ""), env?.UPSTREAM_API_KEY) }));
  const headers = [["x-request-id", requestId]];
  if (status === 429) headers.push(["retry-after", String(Math.max(1, Math.ceil((e?.retryAfterMs ?? 1000) / 1000)))]);
  let detail = `upstream: ${text}`;
  if (what === "create" && AMBIGUOUS.includes(code)) {
    headers.push(["x-should-retry", "false"]);
    detail += "; the job may have been created upstream: retry with the same Idempotency-Key, or list to look for it";
  }
  return { status, detail, headers, code: `upstream_${code}`, request_id: requestId };
}

/**
 * Runs `f` with a LumaClient for the upstream, freed afterwards. workerd has no
 * FinalizationRegistry at this compatibility date, so a client that is only dropped stays in
 * wasm memory for good (with its key and its map of every id it saw); one per call, freed in a
 * `finally`, keeps memory flat whatever the number of jobs.
 */
export async function withUpstream(env, config, retries, f) {
  const client = new g.LumaClient({ provider: config.upstream, apiKey: env.UPSTREAM_API_KEY, baseUrl: config.baseUrl, maxRetries: retries });
  try {
    return await f(client);
  } finally {
    client.free();
  }
}
