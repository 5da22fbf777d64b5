// The demo page end to end in headless Chromium (Debian's), against the emulator: generate,
// extend forward twice and backward once, every video plays and grows by one segment, human
// errors for an invalid and a moderated prompt, cancel a wait; no request leaves 127.0.0.1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const emulator = process.env.LUMA_EMULATOR_URL;
assert.ok(emulator, "run under scripts/with-emulator.sh");
const admin = (path, body) => fetch(`${emulator}/__emulator/${path}`, { method: "POST", body: JSON.stringify(body) });
await admin("config", { job_ms: 1500 });

const server = spawn("node", [join(root, "www/serve.mjs"), "--emulator", emulator, "--port", "0", "--typical-job-ms", "1500", "--gateway"], { stdio: ["ignore", "pipe", "inherit"] });
const pageUrl = await new Promise((resolve, reject) => {
  server.stdout.on("data", (d) => { const m = String(d).match(/demo: (\S+)/); if (m) resolve(m[1]); });
  server.once("exit", () => reject(new Error("the static server exited")));
});
const out = join(root, "test-output");
mkdirSync(out, { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
});
const offsite = [];
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const toUpstream = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (!["data:", "blob:"].includes(u.protocol) && u.hostname !== "127.0.0.1") offsite.push(r.url());
    // The page may fetch finished videos from the provider, but its API calls go to the gateway.
    if (u.origin === new URL(emulator).origin && !/^\/(videos|previews)\//.test(u.pathname)) toUpstream.push(r.url());
  });
  await page.goto(pageUrl);
  const clip = (n) => page.locator('[data-testid="clip"]').nth(n);
  const settled = async (n, state = "completed") => {
    await page.waitForFunction(([i, s]) => document.querySelectorAll('[data-testid="clip"]')[i]?.dataset.state === s, [n, state], { timeout: 30_000 });
  };
  /** Waits until the clip's video really plays; returns its duration in seconds. */
  const plays = async (n) => {
    const video = clip(n).locator("video");
    await page.waitForFunction((v) => v.readyState >= 2 && v.currentTime > 0.2, await video.elementHandle(), { timeout: 15_000 });
    return video.evaluate((v) => v.duration);
  };

  await page.fill('[data-testid="prompt"]', "A jellyfish drifting through a neon reef");
  await page.click('[data-testid="generate"]');
  await settled(0);
  const durations = [await plays(0)];
  for (const [from, direction] of [[0, "forward"], [1, "forward"], [2, "backward"]]) {
    await clip(from).locator(`[data-testid="extend-${direction}"]`).click();
    const n = durations.length;
    await settled(n);
    assert.equal(await clip(n).getAttribute("data-direction"), direction);
    durations.push(await plays(n));
  }
  for (let i = 1; i < durations.length; i++) {
    assert.ok(Math.abs(durations[i] - durations[i - 1] - 1) < 0.1, `clip ${i + 1} is one segment longer: ${durations}`);
  }
  console.log(`e2e: chain durations ${durations.map((d) => d.toFixed(2)).join(" → ")} s, each playing`);

  await page.fill('[data-testid="prompt"]', "hi");
  await page.click('[data-testid="generate"]');
  await page.waitForSelector('[data-testid="error"]:not([hidden])');
  assert.match(await page.textContent('[data-testid="error"]'), /Please fix the request.*prompt.*too short/);

  await page.fill('[data-testid="prompt"]', "A blacklisted scene");
  await page.click('[data-testid="generate"]');
  await settled(4, "failed");
  assert.match(await clip(4).locator('[data-testid="clip-error"]').textContent(), /refused.*Contains blacklisted words/);

  await page.screenshot({ path: join(out, "demo.png"), fullPage: true });
  await admin("config", { job_ms: 60_000 });
  await page.fill('[data-testid="prompt"]', "A very long dream");
  await page.click('[data-testid="generate"]');
  await clip(5).locator('[data-testid="cancel"]').click();
  await settled(5, "cancelled");
  assert.match(await clip(5).locator('[data-testid="clip-error"]').textContent(), /Cancelled/);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(out, "demo-phone.png") });
  assert.deepEqual(offsite, [], "every request stays on 127.0.0.1");
  assert.deepEqual(toUpstream, [], "the page talks to the gateway, never to the upstream");
  if (process.env.UPDATE_SCREENSHOT) copyFileSync(join(out, "demo.png"), join(root, "docs/screenshot.png"));
  console.log(`e2e: ok; screenshots in ${out}`);
} finally {
  await browser.close();
  server.kill();
}
