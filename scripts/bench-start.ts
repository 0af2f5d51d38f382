// npm run bench:start [-- --runs 5]
// Start-up time of the built app on the embedded database, as a reader sees it: from
// `npm start` to the first 200 of the seeded article page. Each run starts once on an
// empty folder (migrations, demo accounts, seed, first render) and once more on the same
// folder (a restart); the medians are printed with every run's figures. The baseline, in
// the same run: a fresh start without the build's embedded template (initdb and every
// migration in WebAssembly, as before the template existed), made by moving the
// template's manifest aside for that start.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rename, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { projectRoot } from "../src/paths.js";

const { values } = parseArgs({ options: { runs: { type: "string", default: "5" } } });
const runs = Number(values.runs);
const ARTICLE = "/articles/treatment-options-for-muscle-spasms";
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** Starts `npm start` in its own process group; resolves with ms until the article page answered 200. */
async function timeStart(dataDir: string): Promise<{ ms: number; listeningMs: number; stop: () => Promise<void> }> {
  const t0 = performance.now();
  const child = spawn(npm, ["start", "--silent"], {
    cwd: projectRoot,
    detached: true,
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", DATA_DIR: dataDir, DATABASE_URL: "", SEED_DEMO_USERS: "true", NODE_ENV: "development", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      process.kill(-child.pid!, "SIGTERM");
    });
  let output = "";
  const listening = await new Promise<{ port: string; at: number }>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk;
      const port = /Listening on http:\/\/[^:]+:(\d+)/.exec(output)?.[1];
      if (port) resolve({ port, at: performance.now() });
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`exited with ${code}: ${output}`)));
  });
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${listening.port}${ARTICLE}`).catch(() => null);
    await res?.arrayBuffer();
    if (res?.status === 200) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { ms: performance.now() - t0, listeningMs: listening.at - t0, stop };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const build = spawnSync(process.execPath, [path.join(projectRoot, "scripts/ensure-build.mjs")], { stdio: "inherit" });
if (build.status !== 0) process.exit(build.status ?? 1);

const manifest = path.join(projectRoot, "dist", "embedded-template.json");
/** A fresh start with the template's manifest moved aside: the folder is initialised and migrated in place. */
async function freshWithoutTemplate(dataDir: string) {
  if (!existsSync(manifest)) return timeStart(dataDir);
  await rename(manifest, `${manifest}.off`);
  try {
    return await timeStart(dataDir);
  } finally {
    await rename(`${manifest}.off`, manifest);
  }
}
if (!existsSync(manifest)) console.log("(no embedded template in dist/: fresh starts initialise the folder in place)");

const fresh: number[] = [];
const restart: number[] = [];
const baseline: number[] = [];
for (let i = 0; i < runs; i++) {
  const dir = await mkdtemp(path.join(tmpdir(), "bench-start-"));
  try {
    const first = await timeStart(path.join(dir, "data"));
    await first.stop();
    const again = await timeStart(path.join(dir, "data"));
    await again.stop();
    const untemplated = await freshWithoutTemplate(path.join(dir, "data-untemplated"));
    await untemplated.stop();
    fresh.push(first.ms);
    restart.push(again.ms);
    baseline.push(untemplated.ms);
    console.log(`run ${i + 1}: fresh ${s(first.ms)} (listening after ${s(first.listeningMs)}), restart ${s(again.ms)} (listening after ${s(again.listeningMs)}), fresh without the template ${s(untemplated.ms)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
const base = median(baseline);
console.log(`\n| Start-up, built app, embedded database (${runs} runs, median) | time to the article page | vs fresh start without the template |`);
console.log("|---|---|---|");
console.log(`| Fresh start without the template (baseline: initdb and migrations in place) | ${s(base)} | 1.00× |`);
console.log(`| Fresh \`npm start\` on an empty folder (template, demo accounts, seed) | ${s(median(fresh))} | ${(median(fresh) / base).toFixed(2)}× |`);
console.log(`| Restart on the existing folder | ${s(median(restart))} | ${(median(restart) / base).toFixed(2)}× |`);
process.exit(0);
