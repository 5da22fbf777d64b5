// Human sentences for what the package reports: every LumaError code, and validation issues per field.
import { LumaError } from "/pkg/browser.js";

export const LABELS = { luma: "Luma", "luma-agents": "Luma Agents", aimlapi: "AI/ML API", apiframe: "APIFRAME", gptge: "gpt.ge" };
const FIELDS = { prompt: "Prompt", aspectRatio: "Aspect ratio", direction: "Direction", generationId: "Clip" };
const MODERATION = /blacklist|moderat|nsfw|safety|policy|inappropriate/i;

/** Why a job or a request failed: `{ text, issues: [{ field, label, message }] }` for the page. */
export function explain(e, provider) {
  const name = LABELS[provider] ?? provider;
  if (!(e instanceof LumaError)) return { text: `Something unexpected went wrong: ${e?.message ?? e}`, issues: [] };
  const issues = (e.issues ?? []).map((i) => ({ field: i.field, label: FIELDS[i.field] ?? i.field, message: sentence(i.message) }));
  const text = headline(e, name);
  // Issues the server (not the client) found arrive as a message only.
  return { text: issues.length || !text.endsWith(":") ? text : `${text} ${e.message}`, issues };
}

function headline(e, name) {
  switch (e.code) {
    case "invalid_request": return "Please fix this first (nothing was sent, nothing was charged):";
    case "unsupported": return `${name} can't do that:`;
    case "generation_failed": {
      const reason = e.generation?.failureReason;
      return reason && MODERATION.test(reason)
        ? `${name}'s moderation turned this prompt down (“${reason}”). Try describing the scene differently.`
        : `${name} could not make this clip${reason ? `: ${reason}` : "."}`;
    }
    case "unauthorized": return "The key was not accepted. The demo fills in its own key; reload the page if you changed it.";
    case "rate_limited": return "Too many requests at once. Wait a few seconds and try again.";
    case "network": return `Couldn't reach the server — is make demo still running?${maybeMade(e)}`;
    case "server_error": return `The server had a problem on its side${e.status ? ` (HTTP ${e.status})` : ""}.${maybeMade(e) || " Try again in a moment."}`;
    case "bad_response": return "The server answered with something this page doesn't understand. Try again.";
    case "timeout": return "This is taking much longer than usual, so the page stopped waiting.";
    case "aborted": return "Cancelled. The page stopped waiting for this clip.";
    case "not_found": return "The server doesn't know this clip (any more).";
    default: return e.message;
  }
}

/** A create whose fate is unknown: say so, so nobody pays twice by clicking again. */
function maybeMade(e) {
  return e.mayHaveBeenCreated ? " The clip may have been made anyway; check the timeline before trying again." : "";
}

/** "prompt is too short: …" → "Prompt is too short: …". */
const sentence = (s) => s.charAt(0).toUpperCase() + s.slice(1);
