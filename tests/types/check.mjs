// Runs tsc on usage.ts (must pass) and misuse.ts (every `expect-error` line, and only those,
// must fail), so the types are proven to accept what is right and reject what is wrong.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tsc = join(here, "../../node_modules/.bin/tsc");

function run(project) {
  try {
    execFileSync(tsc, ["-p", join(here, project), "--pretty", "false"], { encoding: "utf8" });
    return "";
  } catch (e) {
    return `${e.stdout}${e.stderr}`;
  }
}

let failed = false;
const usage = run("tsconfig.usage.json");
if (usage.includes("error")) {
  console.error(`usage.ts must compile:\n${usage}`);
  failed = true;
}
const out = run("tsconfig.misuse.json");
const got = new Set([...out.matchAll(/misuse\.ts\((\d+),\d+\): error/g)].map((m) => Number(m[1])));
const want = new Set(readFileSync(join(here, "misuse.ts"), "utf8").split("\n").flatMap((l, i) => (l.includes("// expect-error") ? [i + 1] : [])));
for (const line of want) if (!got.has(line)) { console.error(`misuse.ts:${line} should not compile`); failed = true; }
for (const line of got) if (!want.has(line)) { console.error(`misuse.ts:${line} fails unexpectedly:\n${out}`); failed = true; }
if (failed) process.exit(1);
console.log(`types: usage.ts compiles; misuse.ts rejects all ${want.size} misuses and nothing else`);
