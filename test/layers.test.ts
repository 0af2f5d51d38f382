// The code's layers, read from its imports: a module may import its own layer or lower ones,
// never a higher one, and outside a services folder only that folder's index.ts. The order
// is the one docs/architecture.md draws.
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";

const src = path.resolve(import.meta.dirname, "../src");

/** Lowest first. A file's layer is the first entry its path (under src/) starts with. */
const layers: string[][] = [
  ["generated/", "errors.ts", "paths.ts", "lookup.ts", "dates.ts", "time.ts", "schemas.ts", "logging.ts", "config.ts", "audit/", "content/", "browser/"],
  ["db/", "workflow/"],
  ["jobs/"],
  ["services/"],
  ["web/"],
  ["public/"],
  ["routes/"],
  ["api/"],
  ["app.ts", "job-handlers.ts"],
  ["server.ts", "cli/"],
];

function layerOf(file: string): number {
  const index = layers.findIndex((prefixes) => prefixes.some((p) => file === p || file.startsWith(p)));
  if (index < 0) throw new Error(`${file} has no layer: add it to the table in test/layers.test.ts`);
  return index;
}

async function sourceFiles() {
  return (await readdir(src, { recursive: true })).filter((f) => f.endsWith(".ts") && !f.startsWith("generated/")).map((f) => f.split(path.sep).join("/"));
}

function importsOf(file: string, text: string): string[] {
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]!);
  return specs.map((spec) => path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, ".ts"));
}

describe("layers", () => {
  it("no module imports a layer above its own", async () => {
    const files = await sourceFiles();
    expect(files.length).toBeGreaterThan(100);
    const upward: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file, await readFile(path.join(src, file), "utf8"))) {
        if (!target.startsWith("..") && layerOf(target) > layerOf(file)) upward.push(`${file} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it("outside a services folder, only its index.ts is imported", async () => {
    const files = await sourceFiles();
    const folderOf = (file: string) => /^services\/([a-z-]+)\//.exec(file)?.[1] ?? null;
    const reachingIn: string[] = [];
    for (const file of files) {
      for (const target of importsOf(file, await readFile(path.join(src, file), "utf8"))) {
        const folder = folderOf(target);
        if (folder && folderOf(file) !== folder && !target.endsWith("/index.ts")) reachingIn.push(`${file} -> ${target}`);
      }
    }
    expect(reachingIn).toEqual([]);
  });
});
