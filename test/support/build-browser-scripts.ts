// Vitest global setup: bundles src/browser/*.ts into public/build/, as `npm run build` does.
import { spawnSync } from "node:child_process";
import path from "node:path";

export default function setup() {
  const root = path.resolve(import.meta.dirname, "..", "..");
  const result = spawnSync(process.execPath, [path.join(root, "scripts", "build-browser.mjs")], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`Bundling the browser scripts failed: ${result.stderr}`);
}
