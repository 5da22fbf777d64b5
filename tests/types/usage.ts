// Typed usage that must compile under --strict.
import { LumaClient, LumaError, type Generation, type ErrorCode } from "luma-extend";
import { verifyWebhook, LumaError as WebhookError } from "luma-extend/webhooks";

const client = new LumaClient({ provider: "aimlapi", apiKey: "k", baseUrl: "http://127.0.0.1:1", maxRetries: 1 });

export async function chain(signal: AbortSignal): Promise<string[]> {
  const first = await client.generate({ prompt: "A jellyfish in the ocean", aspectRatio: "16:9", loop: false });
  const done: Generation = await client.wait(first.id, { signal, timeoutMs: 60_000, onProgress: (g) => g.progress });
  const after = await client.extend({ generationId: done.id, prompt: "It dives", direction: "forward" });
  const before = await client.extend({ generationId: done.id, prompt: "It arrives", direction: "backward", image: "https://x.test/a.png" });
  const all = await client.waitAll([after.id, before.id]);
  for await (const g of client.watch(after.id)) {
    if (g.state === "completed" || g.state === "failed") break;
  }
  const many = await client.getMany(all.map((g) => g.id), { signal, timeoutMs: 10_000 });
  const page: Generation[] = await client.list({ limit: 20, offset: 20, signal });
  await client.delete(page[0].id, { timeoutMs: Infinity });
  await client.get(first.id, { signal });
  return many.map((g) => g.videoUrl ?? g.failureReason ?? g.state);
}

export function describe(e: unknown): string {
  if (e instanceof LumaError) {
    const code: ErrorCode = e.code;
    const fields = e.issues?.map((i) => `${i.field}: ${i.rule}`) ?? [];
    const ambiguous: boolean = e.mayHaveBeenCreated;
    return `${code} ${e.status ?? ""} ${e.retryable} ${ambiguous} ${e.provider} ${fields.join(", ")}`;
  }
  return String(e);
}

export const keyframed = client.generate({
  keyframes: { frame0: { type: "generation", id: "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9" }, frame1: { type: "image", url: "https://x.test/b.png" } },
});
export const conceptual = client.extend({ generationId: "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9", prompt: "closer", concepts: [{ key: "dolly_zoom" }] });
export const injected = new LumaClient({ apiKey: "k", fetch: (input, init) => fetch(input, init) });
export const payload: unknown = verifyWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "{}", new Headers());
export const sameClass: boolean = (new Error("x") as unknown) instanceof WebhookError;
export const warm = new LumaClient({ apiKey: "k", pollModel: client.exportPollModel() });
