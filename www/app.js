// The demo page: the npm package from /pkg/, exactly as a user imports it.
import { LumaClient, LumaError } from "/pkg/browser.js";

const config = await (await fetch("/config.json")).json();
const PROVIDERS = {
  luma: { label: "Luma", path: "/dream-machine/v1" },
  aimlapi: { label: "AI/ML API", path: "" },
  apiframe: { label: "APIFRAME", path: "" },
  gptge: { label: "gpt.ge", path: "" },
};
const BACKWARD = new Set(["luma", "aimlapi"]);
const $ = (id) => document.querySelector(`[data-testid="${id}"]`);
let provider = "luma";
let clips = [];

/** Through the gateway for the picked upstream when the demo runs one; else straight to the emulator. */
function client() {
  const common = { apiKey: $("api-key").value, typicalJobMs: config.typicalJobMs, timeoutMs: 30_000 };
  if (config.gateways) {
    return new LumaClient({ ...common, provider: "gateway", baseUrl: `${config.gateways[provider]}/dream-machine/v1` });
  }
  return new LumaClient({ ...common, provider, baseUrl: config.emulatorUrl + PROVIDERS[provider].path });
}

/** A sentence a person can act on, for any error the package reports. */
function explain(e) {
  if (!(e instanceof LumaError)) return `Something unexpected happened: ${e}`;
  const issues = (e.issues ?? []).map((i) => `${i.field}: ${i.message}`).join("; ");
  switch (e.code) {
    case "invalid_request": return `Please fix the request — ${issues || e.message}`;
    case "unsupported": return `${PROVIDERS[provider].label} can't do that: ${issues || e.message}`;
    case "generation_failed": return `The provider refused this clip: ${e.generation?.failureReason ?? e.message}`;
    case "unauthorized": return "The API key was not accepted.";
    case "rate_limited": return "Too many requests right now; try again in a moment.";
    case "network": case "server_error": case "bad_response":
      return `The provider could not be reached or answered badly (${e.message}). Try again.`;
    case "timeout": return "This is taking longer than expected.";
    case "aborted": return "Cancelled.";
    default: return e.message;
  }
}

function showError(el, text) {
  el.textContent = text ?? "";
  el.hidden = !text;
}

function renderProviders() {
  const box = $("providers");
  box.replaceChildren(
    ...Object.entries(PROVIDERS).map(([name, p]) => {
      const b = document.createElement("button");
      b.textContent = p.label;
      b.dataset.testid = `provider-${name}`;
      b.setAttribute("role", "radio");
      b.setAttribute("aria-checked", String(name === provider));
      b.onclick = () => { provider = name; renderProviders(); clips.forEach(renderClip); };
      return b;
    }),
  );
}

function addClip(origin) {
  const el = document.getElementById("clip").content.firstElementChild.cloneNode(true);
  const clip = { n: clips.length + 1, el, origin, provider, state: "queued", generation: null, controller: null };
  clips.push(clip);
  $("timeline").append(el);
  $("empty").hidden = true;
  el.querySelector('[data-testid="extend-forward"]').onclick = () => extend(clip, "forward");
  el.querySelector('[data-testid="extend-backward"]').onclick = () => extend(clip, "backward");
  el.querySelector('[data-testid="cancel"]').onclick = () => clip.controller?.abort();
  renderClip(clip);
  return clip;
}

function renderClip(clip) {
  const { el, generation: g } = clip;
  const q = (id) => el.querySelector(`[data-testid="${id}"]`);
  el.dataset.state = clip.state;
  el.dataset.direction = clip.origin?.direction ?? "new";
  el.querySelector(".clip-title").textContent = `Clip ${clip.n}`;
  el.querySelector(".clip-origin").textContent = clip.origin
    ? `${clip.origin.direction === "backward" ? "◀ prepended before" : "▶ appended after"} clip ${clip.origin.from.n}`
    : `new · ${PROVIDERS[clip.provider].label}${config.gateways ? " via the gateway" : ""}`;
  q("clip-state").textContent = clip.state;
  const progress = clip.state === "completed" ? 1 : g?.progress ?? (clip.state === "dreaming" ? 0.5 : 0.08);
  el.querySelector(".fill").style.width = `${Math.round(progress * 100)}%`;
  q("clip-eta").textContent = g?.estimateWaitSeconds != null && clip.state !== "completed"
    ? `about ${Math.ceil(g.estimateWaitSeconds)} s left`
    : g?.progress != null && clip.state === "dreaming" ? `${Math.round(g.progress * 100)} %` : "";
  const video = q("clip-video");
  const src = clip.state === "completed" ? g?.videoUrl : clip.state === "dreaming" ? g?.progressVideoUrl : null;
  if (src && video.getAttribute("src") !== src) video.src = src;
  video.hidden = !src;
  const active = clip.state === "queued" || clip.state === "dreaming";
  q("cancel").hidden = !active;
  el.querySelector(".actions").hidden = clip.state !== "completed" || clip.provider !== provider;
  const back = q("extend-backward");
  back.disabled = !BACKWARD.has(provider);
  back.title = back.disabled ? `${PROVIDERS[provider].label} can only extend forward` : "Prepend a new segment before this clip";
}

async function follow(clip, start) {
  clip.controller = new AbortController();
  const errorEl = clip.el.querySelector('[data-testid="clip-error"]');
  try {
    clip.generation = await start;
    renderClip(clip);
    const done = await clip.client.wait(clip.generation.id, {
      signal: clip.controller.signal,
      onProgress: (g) => { clip.generation = g; clip.state = g.state; renderClip(clip); },
    });
    clip.generation = done;
    clip.state = "completed";
  } catch (e) {
    clip.state = e?.code === "aborted" ? "cancelled" : "failed";
    showError(errorEl, explain(e));
  }
  renderClip(clip);
}

async function generate() {
  showError($("error"), null);
  const c = client();
  const request = { prompt: $("prompt").value.trim(), aspectRatio: $("aspect").value };
  try {
    const first = await c.generate(request);
    const clip = addClip(null);
    clip.client = c;
    follow(clip, Promise.resolve(first));
  } catch (e) {
    showError($("error"), explain(e));
  }
}

function extend(from, direction) {
  const prompt = from.el.querySelector('[data-testid="extend-prompt"]').value.trim();
  const c = client();
  const clip = addClip({ from, direction });
  clip.client = c;
  follow(clip, c.extend({ generationId: from.generation.id, prompt, direction }));
}

$("generate").onclick = generate;
$("api-key").value = config.apiKey;
renderProviders();
