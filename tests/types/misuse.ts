// Deliberate misuse: every line marked `expect-error` must be rejected by tsc --strict.
import { LumaClient, LumaError } from "luma-extend";
import { verifyWebhook } from "luma-extend/webhooks";

new LumaClient({ provider: "openai", apiKey: "k" }); // expect-error: unknown provider
new LumaClient({ provider: "luma" }); // expect-error: apiKey is required
const client = new LumaClient({ apiKey: "k" });
client.generate({ prompt: "x", aspectRatio: "19:9" }); // expect-error: not an aspect ratio
client.extend({ prompt: "no parent" }); // expect-error: generationId is required
client.extend({ generationId: "a", prompt: "b", direction: "sideways" }); // expect-error: direction
client.generate({ keyframes: { frame0: { type: "video", id: "a" } } }); // expect-error: keyframe type
client.generate({ prompt: "x", concepts: ["dolly_zoom"] }); // expect-error: a concept is { key }
client.wait("id", { timeoutMs: "soon" }); // expect-error: timeoutMs is a number
client.getMany("one-id"); // expect-error: ids is an array
export async function states() {
  const g = await client.get("id");
  if (g.state === "running") return; // expect-error: not a state
  const p: string = g.progress; // expect-error: progress may be undefined
  return p;
}
export function codes(e: LumaError) {
  if (e.code === "conflict") return; // expect-error: not an error code
  return e.retryable;
}
verifyWebhook("whsec_x", { body: "{}" }); // expect-error: body is a string, headers are required
client.get("id", { signal: "stop" }); // expect-error: signal is an AbortSignal
client.generate({ prompt: "x" }, { timeoutMs: "1s" }); // expect-error: timeoutMs is a number
client.list({ limit: "10" }); // expect-error: limit is a number
client.delete(42); // expect-error: id is a string
client.getMany(["a"], { onProgress: () => {} }); // expect-error: onProgress is for waits
export function ambiguous(e: LumaError): string {
  return e.mayHaveBeenCreated; // expect-error: a boolean
}
import { verifyWebhook as moved } from "luma-extend"; // expect-error: verifyWebhook lives in luma-extend/webhooks
new LumaClient({ apiKey: "k", pollModel: { luma: 1 } }); // expect-error: the model is the text exportPollModel() wrote
