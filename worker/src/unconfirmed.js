// A create whose upstream answer was lost: the upstream may have made the job. Its record is
// kept, queued and without an upstream id, so a retry with the same Idempotency-Key returns it
// (no second job is made); the upstream's callback confirms it; after a silence the create goes
// once more; and it ends as failed after UNCONFIRMED_MS. See docs/design.md (the gateway).
import { upstreamFailure, withUpstream } from "./common.js";

// A create whose upstream answer was lost waits this long for the upstream's callback to tell
// its id; then it ends as failed.
const UNCONFIRMED_MS = 10 * 60_000;
// Times a silent create is sent again (each after the same silence), then it waits and fails.
const RESENDS = 3;
// Where each protocol's callback names its job.
const CALLBACK_ID = { luma: ["id"], aimlapi: ["id", "generation_id"], apiframe: ["task_id"], gptge: ["id", "task_id"], "luma-agents": ["id"] };

/** Keeps the record of a create that may have been made upstream; `resend` is null where no callback ever comes. */
export async function keepUnconfirmed(shard, { id, caller, parent, echo, key, hash, resend }) {
  const now = Date.now();
  const generation = { id: "", provider: shard.config.upstream, state: "queued", raw: null };
  // A job the upstream made calls back at the latest when it ends: silence for two typical
  // jobs means it was not made, and the same create (same callback URL) goes out once more.
  const resend_at = now + silence(shard);
  const record = { id, upstream_id: "", owner: caller, parent, created_at: new Date(now).toISOString(), request: echo, generation, unconfirmed_until: now + UNCONFIRMED_MS, resend, resend_at };
  shard.insert(record, now, key, hash);
  shard.live.set(id, { record, created: now, heard: null, due: resend_at });
  await shard.arm();
}

/** How long a made job can stay silent: it calls back at the latest when it ends. */
function silence(shard) {
  return Math.max(10_000, 2 * (shard.typical ?? 110_000));
}

/** What a kept record needs to send its create again, up to RESENDS times. */
export function resendOf(kind, request) {
  return { kind, request, left: RESENDS };
}

/** The create once more, for a record whose create left no trace upstream. */
export async function resend(shard, id, job) {
  const { kind, request, left } = job.record.resend;
  const again = left > 1 ? { kind, request, left: left - 1 } : null;
  job.record = { ...job.record, resend: again, resend_at: Date.now() + silence(shard) };
  shard.exec("UPDATE gen SET record = ? WHERE id = ?", JSON.stringify(job.record), id);
  let created;
  try {
    created = await withUpstream(shard.env, shard.config, 0, (u) => (kind === "extend" ? u.extend(request) : u.generate(request)));
  } catch (e) {
    upstreamFailure(e, "create", shard.env); // logged; the record waits for a callback, then fails
    shard.plan(job);
    return;
  }
  confirmed(shard, id, created.id, created);
}

/** An unconfirmed record learns its upstream id from a callback, checked with the upstream. */
export async function confirm(shard, id, body) {
  let sent;
  try {
    sent = JSON.parse(body);
  } catch {
    return;
  }
  const candidate = (CALLBACK_ID[shard.config.upstream] ?? ["id"]).map((k) => sent?.[k]).find((v) => typeof v === "string" && v.length > 0 && v.length < 200);
  if (!candidate) return;
  let fresh;
  try {
    fresh = await withUpstream(shard.env, shard.config, 1, (u) => u.get(candidate));
  } catch {
    return; // not a job of this account: the body alone is never trusted
  }
  if (confirmed(shard, id, candidate, fresh)) await shard.arm();
}

/** The record, if still unconfirmed, takes `upstreamId` and what the upstream said of it. */
function confirmed(shard, id, upstreamId, fresh) {
  const still = shard.live.get(id);
  if (!still || still.record.upstream_id) return false;
  still.record = { ...still.record, upstream_id: upstreamId };
  for (const k of ["unconfirmed_until", "resend", "resend_at"]) delete still.record[k];
  shard.exec("UPDATE gen SET record = ? WHERE id = ?", JSON.stringify(still.record), id);
  shard.apply(id, still, fresh);
  const after = shard.live.get(id);
  if (after) shard.plan(after);
  return true;
}

/** The alarm's turn for an unconfirmed record: send again after a silence, fail at the end of its wait. */
export function pollUnconfirmed(shard, id, job, now) {
  if (job.record.resend && now >= job.record.resend_at) return resend(shard, id, job);
  if (now < (job.record.unconfirmed_until ?? 0)) return void (job.due = job.record.unconfirmed_until);
  const failure_reason = "The upstream never confirmed the create (its answer was lost and no callback came)";
  return shard.apply(id, job, { ...job.record.generation, state: "failed", failure_reason });
}
