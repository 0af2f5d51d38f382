// Bundles the browser scripts (src/browser/*.ts) into public/build/, served at
// /static/build/. Run by postinstall, build, prestart and the tests' global setup, so
// the page always runs the same code as the server (e.g. the readability formulas).
// esbuild comes with tsx (a runtime dependency).
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const sourceDir = path.join(root, "src", "browser");
const entryPoints = readdirSync(sourceDir).filter((f) => f.endsWith(".ts")).map((f) => path.join(sourceDir, f));

await build({
  entryPoints,
  outdir: path.join(root, "public", "build"),
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["es2020"],
  minify: true,
  legalComments: "inline",
  logLevel: "warning",
});
