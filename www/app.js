// The demo page: the npm package from /pkg/, imported exactly as a user would. One card per clip;
// a card knows its provider, its parent and direction, and the segments its video is made of.
import { LumaClient } from "/pkg/browser.js";
import { LABELS, explain } from "./messages.js";

const config = await (await fetch("/config.json")).json();
const BACKWARD = new Set(["luma", "luma-agents", "aimlapi"]); // the protocols that can prepend before a clip
const NOTES = { luma: "extends forward and backward, with a preview while dreaming", "luma-agents": "extends forward and backward (ray-3.2)", aimlapi: "extends forward and backward", apiframe: "extends forward only", gptge: "extends forward only" };
const $ = (id, root = document) => root.querySelector(`[data-testid="${id}"]`);
const isActive = (clip) => clip.state === "queued" || clip.state === "dreaming";
const clips = [];
let provider = "luma";

/** A client for one provider, through whatever config.json points at. The key is read, never kept. */
function client(name) {
  const { protocol, baseUrl } = config.providers[name];
  return new LumaClient({ provider: protocol, baseUrl, apiKey: $("api-key").value, typicalJobMs: config.typicalJobMs, timeoutMs: 30_000 });
}

/** Shows `explain()`'s answer in `box` (or clears it) and marks the named fields invalid. */
function showError(box, explained, fields = {}) {
  Object.values(fields).forEach((f) => f.removeAttribute("aria-invalid"));
  box.hidden = !explained;
  box.replaceChildren();
  if (!explained) return;
  const list = document.createElement("ul");
  for (const issue of explained.issues) {
    list.append(Object.assign(document.createElement("li"), { textContent: issue.message }));
    fields[issue.field]?.setAttribute("aria-invalid", "true");
  }
  box.append(Object.assign(document.createElement("p"), { textContent: explained.text }), ...(explained.issues.length ? [list] : []));
}

function renderProviders() {
  $("providers").replaceChildren(...Object.entries(LABELS).map(([name, label]) => {
    const b = Object.assign(document.createElement("button"), { type: "button", textContent: label });
    b.dataset.testid = `provider-${name}`;
    b.setAttribute("role", "radio");
    b.setAttribute("aria-checked", String(name === provider));
    b.onclick = () => { provider = name; renderProviders(); };
    return b;
  }));
  $("provider-note").textContent = `${LABELS[provider]} ${NOTES[provider]}.`;
}

function addClip(generation, c, name, origin) {
  const el = document.getElementById("clip").content.firstElementChild.cloneNode(true);
  const n = clips.length + 1;
  const parent = origin?.from.segments ?? [];
  const segments = !origin ? [n] : origin.direction === "backward" ? [n, ...parent] : [...parent, n];
  const startedAt = performance.now();
  const etaAt = generation.estimateWaitSeconds != null ? startedAt + generation.estimateWaitSeconds * 1000 : undefined;
  const clip = { n, el, origin, provider: name, client: c, segments, generation, state: generation.state, startedAt, etaAt, controller: new AbortController() };
  clips.push(clip);
  el.dataset.direction = origin?.direction ?? "new";
  el.querySelector(".clip-title").textContent = `Clip ${n}`;
  el.querySelector(".clip-origin").textContent = origin
    ? `${origin.direction === "backward" ? "◀ prepended before" : "▶ appended after"} clip ${origin.from.n}`
    : `new · ${LABELS[name]}${config.via === "gateway" ? " via the gateway" : ""}`;
  $("clip-segments", el).replaceChildren(...segments.map((s) =>
    Object.assign(document.createElement("span"), { className: s === n ? "seg new" : "seg", textContent: s, title: `segment made by clip ${s}` })));
  const video = $("clip-video", el);
  video.onloadedmetadata = () => { if (clip.state === "completed") { clip.duration = video.duration; renderClip(clip); } };
  $("extend-forward", el).onclick = () => extend(clip, "forward");
  $("extend-backward", el).onclick = () => extend(clip, "backward");
  $("extend-prompt", el).onkeydown = (e) => { if (e.key === "Enter") extend(clip, "forward"); };
  $("cancel", el).onclick = () => clip.controller.abort();
  $("timeline").append(el);
  $("empty").hidden = true;
  renderClip(clip);
  return clip;
}

function renderClip(clip) {
  const { el, generation: g, state } = clip;
  el.dataset.state = state;
  $("clip-state", el).textContent = state;
  const known = fraction(clip);
  const bar = el.querySelector(".bar");
  bar.classList.toggle("indeterminate", isActive(clip) && known == null);
  if (known != null) bar.setAttribute("aria-valuenow", Math.round(known * 100));
  else bar.removeAttribute("aria-valuenow");
  el.querySelector(".fill").style.width = known != null ? `${Math.round(known * 100)}%` : "0";
  $("clip-eta", el).textContent = status(clip);
  const video = $("clip-video", el);
  const src = state === "completed" ? g.videoUrl : state === "dreaming" ? g.progressVideoUrl : null;
  if (src && video.getAttribute("src") !== src) video.src = src;
  video.hidden = !src;
  video.classList.toggle("preview", state !== "completed");
  $("cancel", el).hidden = !isActive(clip);
  el.querySelector(".actions").hidden = state !== "completed";
  const back = $("extend-backward", el);
  back.disabled = !BACKWARD.has(clip.provider);
  back.title = back.disabled ? `${LABELS[clip.provider]} can only extend forward` : "Prepend a new segment before this clip";
}

/** How far along: the provider's progress, else the share of its estimated wait gone by, else unknown. */
function fraction({ state, generation: g, startedAt, etaAt }) {
  if (state === "completed") return 1;
  if (g.progress != null) return g.progress;
  if (etaAt && (state === "queued" || state === "dreaming")) return Math.min(1, (performance.now() - startedAt) / Math.max(1, etaAt - startedAt));
  return undefined;
}

/** The line under the bar: elapsed time, progress and estimated wait where the provider tells. */
function status(clip) {
  const g = clip.generation;
  const secs = ((clip.endedAt ?? performance.now()) - clip.startedAt) / 1000;
  if (clip.state === "completed") return [`ready in ${secs.toFixed(1)} s`, clip.duration && `${clip.duration.toFixed(1)} s of video`].filter(Boolean).join(" · ");
  if (!isActive(clip)) return `stopped after ${secs.toFixed(1)} s`;
  const parts = [`${clip.state}… ${Math.floor(secs)} s`];
  if (g.progress != null) parts.push(`${Math.round(g.progress * 100)} %`);
  if (clip.etaAt) parts.push(`about ${Math.max(0, Math.ceil((clip.etaAt - performance.now()) / 1000))} s left`);
  if (g.progressVideoUrl && clip.state === "dreaming") parts.push("preview below");
  return parts.join(" · ");
}

async function follow(clip) {
  const onProgress = (g) => {
    Object.assign(clip, { generation: g, state: g.state });
    if (g.estimateWaitSeconds != null) clip.etaAt = performance.now() + g.estimateWaitSeconds * 1000;
    renderClip(clip);
  };
  try {
    clip.generation = await clip.client.wait(clip.generation.id, { signal: clip.controller.signal, onProgress });
    clip.state = "completed";
  } catch (e) {
    clip.state = e?.code === "aborted" ? "cancelled" : "failed";
    if (e?.generation) clip.generation = e.generation;
    showError($("clip-error", clip.el), explain(e, clip.provider));
  }
  clip.endedAt = performance.now();
  renderClip(clip);
}

/** Runs `create` with `button` showing it is busy; errors go to `box`, fields marked. */
async function busy(button, box, fields, name, create) {
  const label = button.textContent;
  showError(box, null, fields);
  button.disabled = true;
  button.textContent = "Sending…";
  try {
    await create();
  } catch (e) {
    showError(box, explain(e, name), fields);
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

function generate() {
  const name = provider;
  const fields = { prompt: $("prompt"), aspectRatio: $("aspect") };
  return busy($("generate"), $("error"), fields, name, async () => {
    const c = client(name);
    const g = await c.generate({ prompt: $("prompt").value.trim(), aspectRatio: $("aspect").value });
    follow(addClip(g, c, name, null));
  });
}

function extend(from, direction) {
  const input = $("extend-prompt", from.el);
  return busy($(`extend-${direction}`, from.el), $("extend-error", from.el), { prompt: input }, from.provider, async () => {
    const g = await from.client.extend({ generationId: from.generation.id, prompt: input.value.trim(), direction });
    const clip = addClip(g, from.client, from.provider, { from, direction });
    follow(clip);
    clip.el.scrollIntoView({ behavior: "smooth", block: "nearest" });
  });
}

$("generate").onclick = generate;
$("prompt").onkeydown = (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) generate(); };
$("api-key").value = config.apiKey;
$("route").textContent = config.via === "gateway"
  ? "It talks to a local gateway only; the provider's key stays there."
  : "It talks to the local emulator only.";
renderProviders();
setInterval(() => clips.filter(isActive).forEach(renderClip), 500);
