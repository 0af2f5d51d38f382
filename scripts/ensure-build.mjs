// Runs before `npm start`: compiles to dist/ when dist/ is missing or older than the
// sources, so a fresh clone's `npm install && npm start` runs compiled JavaScript and a
// source change is never silently ignored. The app itself never compiles TypeScript.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const stamp = path.join(root, "dist", ".build-stamp");

function newest(target) {
  const info = statSync(target);
  if (!info.isDirectory()) return info.mtimeMs;
  let latest = info.mtimeMs;
  for (const entry of readdirSync(target)) latest = Math.max(latest, newest(path.join(target, entry)));
  return latest;
}

const sources = ["src", "seed", "prisma/migrations", "tsconfig.json", "tsconfig.build.json", "package-lock.json"].map((p) => path.join(root, p)).filter(existsSync);
const newestSource = Math.max(...sources.map(newest));
const stale = !existsSync(stamp) || newestSource > statSync(stamp).mtimeMs;
if (stale) {
  console.log("Compiling to dist/ …");
  const result = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  if (result.status !== 0) process.exit(result.status ?? 1);
  // A new, migrated embedded database that a first start on an empty DATA_DIR copies (src/db/embedded-template.ts).
  const template = spawnSync(process.execPath, [path.join(root, "dist", "src", "cli", "embedded-template.js")], { cwd: root, stdio: "inherit" });
  if (template.status !== 0) process.exit(template.status ?? 1);
  writeFileSync(stamp, new Date().toISOString());
}

// The browser bundles (public/build/, one per src/browser entry) are rebuilt when a source or the
// bundler's settings are newer than a bundle, so they always match; an unchanged start skips it.
const entries = readdirSync(path.join(root, "src", "browser")).filter((f) => f.endsWith(".ts"));
const bundles = entries.map((f) => path.join(root, "public", "build", f.replace(/\.ts$/, ".js")));
const bundler = statSync(path.join(root, "scripts", "build-browser.mjs")).mtimeMs;
if (bundles.some((b) => !existsSync(b) || Math.max(newestSource, bundler) > statSync(b).mtimeMs)) {
  const bundled = spawnSync(process.execPath, [path.join(root, "scripts", "build-browser.mjs")], { cwd: root, stdio: "inherit" });
  if (bundled.status !== 0) process.exit(bundled.status ?? 1);
}
