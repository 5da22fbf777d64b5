// A scripted APIFRAME upstream for the gateway's tests, on 127.0.0.1.
/** A scripted APIFRAME upstream: records what the gateway sends, answers what the test says. */
export async function fakeApiframe() {
  const { createServer } = await import("node:http");
  const fake = { creates: [], fetches: 0, keys: new Set(), task: { task_id: "task-1", task_type: "luma", status: "pending" } };
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    fake.keys.add(req.headers.authorization);
    const send = (status, value) => { res.writeHead(status, { "content-type": "application/json" }); res.end(JSON.stringify(value)); };
    if (req.url === "/luma-imagine") {
      const b = JSON.parse(body);
      if (b.prompt.includes("echo the key")) return send(400, { errors: [{ msg: `bad key ${req.headers.authorization}` }] });
      if (b.prompt.includes("leak the account")) return send(400, { errors: [{ msg: `Account acme-internal-042 (ops@acme.example) key ${req.headers.authorization.toUpperCase()}` }] });
      fake.creates.push(b);
      return send(200, { task_id: "task-1" });
    }
    if (req.url === "/fetch") { fake.fetches++; return send(200, fake.task); }
    send(404, {});
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  fake.url = `http://127.0.0.1:${server.address().port}`;
  fake.close = () => new Promise((r) => server.close(r));
  return fake;
}

