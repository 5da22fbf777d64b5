// The demo page end to end in headless Chromium (Debian's), against the emulator: generate,
// extend forward twice and backward once, every video plays and grows by one segment, human
// errors for an invalid prompt, a moderated one, a forward-only provider and a network fault; a
// preview while dreaming and Cancel; no request leaves 127.0.0.1, none goes past the gateway.
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

const server = spawn(process.execPath, [join(root, "www/serve.mjs"), "--emulator", emulator, "--port", "0", "--typical-job-ms", "1500", "--gateway"], { stdio: ["ignore", "pipe", "inherit"] });
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
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(String(e)));
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
  // Forward twice, then backward once from the newest clip: the new segment lands at the end, or the start.
  const chain = [[0, "forward", "1 2"], [1, "forward", "1 2 3"], [2, "backward", "4 1 2 3"]];
  for (const [from, direction, segments] of chain) {
    await clip(from).locator(`[data-testid="extend-${direction}"]`).click();
    const n = durations.length;
    await settled(n);
    assert.equal(await clip(n).getAttribute("data-direction"), direction);
    assert.equal((await clip(n).locator(".seg").allTextContents()).join(" "), segments);
    durations.push(await plays(n));
  }
  for (let i = 1; i < durations.length; i++) {
    assert.ok(Math.abs(durations[i] - durations[i - 1] - 1) < 0.1, `clip ${i + 1} is one segment longer: ${durations}`);
  }
  console.log(`e2e: chain durations ${durations.map((d) => d.toFixed(2)).join(" → ")} s, each playing`);

  const error = () => page.textContent('[data-testid="error"]');
  await page.fill('[data-testid="prompt"]', "hi");
  await page.click('[data-testid="generate"]');
  await page.waitForSelector('[data-testid="error"]:not([hidden])');
  assert.match(await error(), /Please fix this first.*Prompt is too short: 2 characters, minimum is 3/);
  assert.equal(await page.getAttribute('[data-testid="prompt"]', "aria-invalid"), "true");

  await page.fill('[data-testid="prompt"]', "A blacklisted scene");
  await page.click('[data-testid="generate"]');
  await settled(4, "failed");
  assert.equal(await page.isHidden('[data-testid="error"]'), true, "the form's message clears on a new attempt");
  assert.match(await clip(4).locator('[data-testid="clip-error"]').textContent(), /Luma's moderation turned this prompt down.*Contains blacklisted words/);

  // APIFRAME only extends forward: its clips say so instead of failing.
  await page.click('[data-testid="provider-apiframe"]');
  await page.fill('[data-testid="prompt"]', "A lighthouse in a storm, seen from the sea");
  await page.click('[data-testid="generate"]');
  await settled(5);
  const back = clip(5).locator('[data-testid="extend-backward"]');
  assert.equal(await back.isDisabled(), true);
  assert.match(await back.getAttribute("title"), /APIFRAME can only extend forward/);
  assert.equal(await clip(0).locator('[data-testid="extend-backward"]').isDisabled(), false, "Luma's clips still extend backward");
  await page.click('[data-testid="provider-luma"]');
  await plays(5);
  await page.screenshot({ path: join(out, "demo.png"), fullPage: true });

  // An invalid extension prompt: a message on that clip, and no new clip.
  const clips = await page.locator('[data-testid="clip"]').count();
  await clip(0).locator('[data-testid="extend-prompt"]').fill("ab");
  await clip(0).locator('[data-testid="extend-forward"]').click();
  await clip(0).locator('[data-testid="extend-error"]:not([hidden])').waitFor();
  assert.match(await clip(0).locator('[data-testid="extend-error"]').textContent(), /Please fix this first.*Prompt is too short/);
  assert.equal(await clip(0).locator('[data-testid="extend-prompt"]').getAttribute("aria-invalid"), "true");
  assert.equal(await page.locator('[data-testid="clip"]').count(), clips);

  // A long job: the preview plays while dreaming, and Cancel stops the wait.
  await admin("config", { job_ms: 20_000 });
  await page.fill('[data-testid="prompt"]', "A very long dream");
  await page.click('[data-testid="generate"]');
  await settled(6, "dreaming");
  await page.waitForFunction((v) => /\/previews\//.test(v.src) && !v.hidden, await clip(6).locator("video").elementHandle());
  await clip(6).locator('[data-testid="cancel"]').click();
  await settled(6, "cancelled");
  assert.match(await clip(6).locator('[data-testid="clip-error"]').textContent(), /Cancelled/);
  await admin("config", { job_ms: 1500 });

  // A network fault on the create: a human message, and the button works again.
  await page.route(/\/generations/, (route) => route.abort("connectionrefused"));
  await page.fill('[data-testid="prompt"]', "A paper boat on a rainy street");
  await page.click('[data-testid="generate"]');
  await page.waitForSelector('[data-testid="error"]:not([hidden])');
  assert.match(await error(), /Couldn't reach the server/);
  assert.equal(await page.isEnabled('[data-testid="generate"]'), true);
  await page.unroute(/\/generations/);

  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => window.scrollTo(0, 0));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), "nothing overflows a phone's width");
  await page.screenshot({ path: join(out, "demo-phone.png") });
  assert.deepEqual(offsite, [], "every request stays on 127.0.0.1");
  assert.deepEqual(pageErrors, [], "no uncaught errors in the page");
  assert.deepEqual(toUpstream, [], "the page talks to the gateway, never to the upstream");
  if (process.env.UPDATE_SCREENSHOT) copyFileSync(join(out, "demo.png"), join(root, "docs/screenshot.png"));
  console.log(`e2e: ok; screenshots in ${out}`);
} finally {
  await browser.close();
  server.kill();
}
