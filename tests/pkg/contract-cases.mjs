// The client's promises off the happy path, as cases that run the same in Node and in a
// Chromium page, against the scripted server of contract.mjs (`srv`). Each case returns
// nothing or throws; `only` marks cases whose premise holds in one runtime.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ID = "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9";

export function cases(LumaClient, LumaError, srv, runtime) {
  const count = async (s) => (await (await fetch(`${srv}/count/${s}`)).json()).n;
  const lastBody = async (s) => (await (await fetch(`${srv}/last/${s}`)).json()).body;
  const client = (s, extra = {}) => new LumaClient({ apiKey: "k", baseUrl: `${srv}/s/${s}`, ...extra });
  const expect = (cond, what) => {
    if (!cond) throw new Error(what);
  };
  async function rejects(promise, code, what) {
    const started = Date.now();
    try {
      await promise;
    } catch (e) {
      expect(e instanceof LumaError, `${what}: not a LumaError: ${e}`);
      expect(e.code === code, `${what}: code ${e.code}, wanted ${code} (${e.message})`);
      return { error: e, ms: Date.now() - started };
    }
    throw new Error(`${what}: resolved, wanted a ${code} rejection`);
  }
  /** Settles within `ms`? (true) or is still pending (false). */
  const settlesWithin = (p, ms) => Promise.race([p.then(() => true, () => true), sleep(ms).then(() => false)]);

  return {
    // 1. Signals and timeouts.
    async "the client's timeoutMs cancels a slow request"() {
      const { ms } = await rejects(client("slow", { timeoutMs: 300, maxRetries: 0 }).get(ID), "timeout", "get");
      expect(ms < 1500, `took ${ms} ms`);
    },
    async "a call's own timeoutMs bounds it, retries included"() {
      const { ms } = await rejects(client("slow").get(ID, { timeoutMs: 300 }), "timeout", "get");
      expect(ms < 1500, `took ${ms} ms`);
    },
    async "aborting watch() stops its polling"() {
      const ac = new AbortController();
      const it = client("dreaming").watch(ID, { signal: ac.signal });
      await it.next();
      ac.abort();
      await it.next().catch(() => {});
      const before = await count("dreaming");
      await sleep(1000);
      const after = await count("dreaming");
      expect(after === before, `${after - before} requests after the abort`);
    },
    // 2. Huge deadlines.
    async "a wait of 2^31 ms, 1e12 ms or Infinity does not end early"() {
      for (const timeoutMs of [2 ** 31, 1e12, Infinity]) {
        const ac = new AbortController();
        const p = client("dreaming").wait(ID, { timeoutMs, signal: ac.signal });
        const early = await settlesWithin(p, 600);
        ac.abort();
        await p.catch(() => {});
        expect(!early, `timeoutMs ${timeoutMs} ended within 600 ms`);
      }
    },
    async "a typicalJobMs out of its bounds is refused"() {
      for (const typicalJobMs of [1e15, 0, -5, NaN]) {
        let err;
        try {
          client("ok", { typicalJobMs });
        } catch (e) {
          err = e;
        }
        expect(err instanceof LumaError && err.issues?.[0]?.field === "options.typicalJobMs", `typicalJobMs ${typicalJobMs} accepted`);
      }
    },
    // 3. Requests are read at the call.
    async "generate() reads the request at the call, from its own fields"() {
      const req = { prompt: "the original prompt" };
      const p = client("ok").generate(req);
      req.prompt = "CHANGED";
      await p;
      expect((await lastBody("ok")).prompt === "the original prompt", "the changed prompt was sent");
      const redacted = { prompt: "a real prompt", toJSON: () => ({ prompt: "[redacted for logs]" }) };
      await client("ok").generate(redacted);
      expect((await lastBody("ok")).prompt === "a real prompt", "toJSON replaced the request");
    },
    async "a wrong-typed or unknown request field is named"() {
      const { error } = await rejects(client("ok").generate({ prompt: 42 }), "invalid_request", "prompt: 42");
      expect(error.issues[0].field === "request.prompt", JSON.stringify(error.issues));
      const { error: typo } = await rejects(client("ok").generate({ prompt: "a jellyfish", aspect_ratio: "16:9" }), "invalid_request", "typo");
      expect(typo.issues[0].field === "request.aspect_ratio" && typo.issues[0].rule === "unknown", JSON.stringify(typo.issues));
    },
    async "extend refuses a parent seen failed before sending; one seen unfinished is sent"() {
      const failed = client("failed");
      await failed.get(ID);
      const before = await count("failed");
      const { error } = await rejects(failed.extend({ generationId: ID, prompt: "more" }), "invalid_request", "failed parent");
      expect(error.issues?.[0]?.field === "generationId" && error.issues[0].rule === "parent_state", JSON.stringify(error.issues));
      expect((await count("failed")) === before, "the extension was sent");
      // Seen dreaming, it may have completed since: the provider decides.
      const dreaming = client("dreaming");
      await dreaming.get(ID);
      expect((await dreaming.extend({ generationId: ID, prompt: "more" })).state === "queued", "not sent");
    },
    // 4. Hot loops.
    async "a 429 with Retry-After: 0 cannot make wait() hammer"() {
      const before = await count("r429");
      const ac = new AbortController();
      const p = client("r429").wait(ID, { signal: ac.signal });
      await sleep(2000);
      ac.abort();
      await p.catch(() => {});
      const n = (await count("r429")) - before;
      expect(n <= 8, `${n} requests in 2 s`);
    },
    async "a long-poll answered at once cannot make wait() hammer"() {
      const before = await count("dreaming");
      const ac = new AbortController();
      const p = new LumaClient({ provider: "gateway", apiKey: "k", baseUrl: `${srv}/s/dreaming` }).wait(ID, { signal: ac.signal });
      await sleep(2000);
      ac.abort();
      await p.catch(() => {});
      const n = (await count("dreaming")) - before;
      expect(n <= 8, `${n} requests in 2 s`);
    },
    // 5. Wrong-typed arguments.
    async "arguments of the wrong type reject with a LumaError and send nothing"() {
      const c = client("ok");
      const before = await count("ok");
      for (const [call, field] of [
        [() => c.get(42), "id"], [() => c.get(null), "id"], [() => c.wait(5), "id"],
        [() => c.waitAll(null), "ids"], [() => c.getMany("abc"), "ids"], [() => c.getMany([1, 2]), "ids"],
        [() => c.delete({}), "id"], [() => c.get(ID, { signal: "stop" }), "options.signal"],
        [() => c.wait(ID, { onProgress: 1 }), "options.onProgress"], [() => c.generate("a prompt"), "request"],
      ]) {
        const { error } = await rejects(call(), "invalid_request", String(call));
        expect(error.issues?.[0]?.field === field, `${call}: ${JSON.stringify(error.issues)}`);
      }
      expect((await count("ok")) === before, "a bad call sent a request");
      expect((await c.get(ID)).state === "completed", "the instance stopped working");
    },
    // 6. Two next() calls without awaiting.
    async "next() calls made at once are queued, each settling"() {
      const it = client("steps", { typicalJobMs: 1000 }).watch(crypto.randomUUID());
      const [a, b, c] = [it.next(), it.next(), it.next()];
      const states = (await Promise.all([a, b, c])).map((r) => (r.done ? "done" : r.value.state));
      expect(states.join() === "queued,dreaming,completed", states.join());
      expect((await it.next()).done, "no end after the terminal state");
    },
    // 7. A per-call signal on every call.
    async "a per-call signal aborts generate, extend, get and getMany at once"() {
      const c = client("slow");
      for (const [name, call] of [
        ["generate", (o) => c.generate({ prompt: "a slow jellyfish" }, o)],
        ["extend", (o) => c.extend({ generationId: ID, prompt: "and then" }, o)],
        ["get", (o) => c.get(ID, o)],
        ["getMany", (o) => c.getMany([ID, ID], o)],
      ]) {
        const ac = new AbortController();
        const p = call({ signal: ac.signal });
        setTimeout(() => ac.abort(), 100);
        const { ms } = await rejects(p, "aborted", name);
        expect(ms < 1000, `${name} took ${ms} ms`);
      }
    },
    // 8. An ambiguous create is a typed field.
    async "a create whose connection drops says mayHaveBeenCreated"() {
      const { error } = await rejects(client("reset").generate({ prompt: "a jellyfish" }), "network", "reset");
      expect(error.mayHaveBeenCreated === true && error.retryable === false, `${error.mayHaveBeenCreated} ${error.retryable}`);
      const { error: invalid } = await rejects(client("ok").generate({ prompt: "hi", aspectRatio: "19:9" }), "invalid_request", "invalid");
      expect(invalid.mayHaveBeenCreated === false && invalid.retryable === false, "a validation error says it may have been created");
    },
    // 9. One rule in one place: a refused connection is safe to retry, even for a create.
    async "a refused connection is retried, even for a create, and says nothing was created"() {
      let calls = 0;
      const { port } = await (await fetch(`${srv}/closed-port`)).json();
      const refused = new LumaClient({
        apiKey: "k", baseUrl: `http://127.0.0.1:${port}`, maxRetries: 2,
        fetch: (req) => { calls++; return fetch(req); },
      });
      const { error } = await rejects(refused.generate({ prompt: "a jellyfish" }), "network", "refused");
      expect(calls === 3 && error.mayHaveBeenCreated === false, `${calls} attempts, mayHaveBeenCreated ${error.mayHaveBeenCreated}`);
    },
    async "wait() plans from the job's created_at, not from the call"() {
      const before = await count("old");
      const ac = new AbortController();
      const p = client("old").wait(ID, { signal: ac.signal });
      await sleep(5000);
      ac.abort();
      await p.catch(() => {});
      const n = (await count("old")) - before;
      expect(n >= 2 && n <= 4, `${n} checks in 5 s of a job created 100 s ago`);
    },
    async "a gateway create carries one Idempotency-Key per call and is retried with it"() {
      const gw = new LumaClient({ provider: "gateway", apiKey: "k", baseUrl: `${srv}/s/flaky` });
      const first = await gw.generate({ prompt: "a jellyfish" });
      const second = await gw.generate({ prompt: "a jellyfish" });
      expect(first.id && second.id, "the retried creates resolved");
      const { keys } = await (await fetch(`${srv}/keys/flaky`)).json();
      const mine = keys.slice(-4);
      expect(mine.length === 4 && mine[0] && mine[0] === mine[1] && mine[2] === mine[3] && mine[1] !== mine[2], JSON.stringify(mine));
    },
    async "a gateway client refuses what the gateway says its upstream cannot make, before sending"() {
      const gw = new LumaClient({ provider: "gateway", apiKey: "k", baseUrl: `${srv}/s/apiframe-gw` });
      const before = await count("apiframe-gw");
      const { error } = await rejects(gw.generate({ prompt: "a jellyfish", model: "ray-flash-2" }), "invalid_request", "another model");
      expect(error.issues[0].field === "model" && /apiframe/.test(error.message), error.message);
      await rejects(gw.extend({ generationId: ID, prompt: "before it", direction: "backward" }), "unsupported", "backward");
      await rejects(gw.generate({ prompt: "a jellyfish", concepts: [{ key: "dolly_zoom" }] }), "unsupported", "concepts");
      expect((await count("apiframe-gw")) - before === 1, "asked once, and nothing refused was sent");
      await gw.generate({ prompt: "a jellyfish", model: "ray-2" });
      expect((await count("apiframe-gw")) - before === 2, "what it can make is sent");
    },
    async "concepts are sent to luma as given, and refused before sending elsewhere"() {
      const concepts = [{ key: "dolly_zoom" }];
      await client("concepts").generate({ prompt: "a jellyfish", concepts });
      const sent = await lastBody("concepts");
      expect(JSON.stringify(sent.concepts) === JSON.stringify(concepts), JSON.stringify(sent));
      const aiml = new LumaClient({ provider: "aimlapi", apiKey: "k", baseUrl: `${srv}/s/concepts-aiml` });
      await rejects(aiml.generate({ prompt: "a jellyfish", concepts }), "unsupported", "aimlapi");
      await rejects(client("concepts").generate({ prompt: "a jellyfish", concepts: [{ key: "" }] }), "invalid_request", "empty key");
      await rejects(client("concepts").generate({ prompt: "a jellyfish", concepts: "dolly_zoom" }), "invalid_request", "not a list");
      expect((await count("concepts-aiml")) === 0, "nothing reached aimlapi");
    },
    async "what a client learns of job lengths moves to a new client through pollModel"() {
      const c = client("steps", { typicalJobMs: 1000 });
      const empty = c.exportPollModel();
      const g = await c.generate({ prompt: "a jellyfish to time" });
      await c.wait(g.id);
      const learned = c.exportPollModel();
      expect(learned !== empty && learned.includes("luma"), `nothing learned: ${empty} → ${learned}`);
      expect(client("ok", { pollModel: learned }).exportPollModel() === learned, "the model did not carry over");
      let err;
      try {
        client("ok", { pollModel: "not a model" });
      } catch (e) {
        err = e;
      }
      expect(err instanceof LumaError && err.issues?.[0]?.field === "options.pollModel", `a bad model: ${err}`);
    },
    // list() and delete() (the luma protocol), and unsupported before sending elsewhere.
    async "list and delete, and unsupported where the protocol has neither"() {
      const c = client("ok");
      const page = await c.list({ limit: 2 });
      expect(page.length === 2 && page[0].id, JSON.stringify(page));
      expect((await c.delete(ID)) === undefined, "delete resolves with nothing");
      const before = await count("ok");
      const apiframe = new LumaClient({ provider: "apiframe", apiKey: "k", baseUrl: `${srv}/s/ok` });
      await rejects(apiframe.list(), "unsupported", "apiframe list");
      await rejects(apiframe.delete(ID), "unsupported", "apiframe delete");
      await rejects(c.list({ limit: 0 }), "invalid_request", "limit 0");
      expect((await count("ok")) === before, "unsupported calls sent a request");
    },
  };
}

export const only = {
  // Browsers never say why a fetch failed, so there it counts as possibly delivered.
  "a refused connection is retried, even for a create, and says nothing was created": "node",
};

/** Runs every case that applies to `runtime`; returns their outcomes. */
export async function runAll(LumaClient, LumaError, srv, runtime) {
  const out = [];
  for (const [name, run] of Object.entries(cases(LumaClient, LumaError, srv, runtime))) {
    if (only[name] && only[name] !== runtime) continue;
    try {
      await run();
      out.push({ name, ok: true });
    } catch (e) {
      out.push({ name, ok: false, detail: String(e?.stack ?? e) });
    }
  }
  return out;
}
