// Where the project's files are, whether this code runs from src/ (tsx) or from the
// compiled dist/src/ (node): the nearest folder above this file holding package.json.
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

function findProjectRoot(start: string): string {
  let dir = start;
  while (!existsSync(path.join(dir, "package.json"))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));
export const viewsDir = path.join(projectRoot, "views");
export const publicAssetsDir = path.join(projectRoot, "public");
export const migrationsDir = path.join(projectRoot, "prisma", "migrations");
/** @simplewebauthn/browser's self-contained bundle (served at /static/vendor/). */
export const webauthnBrowserBundle = path.join(projectRoot, "node_modules", "@simplewebauthn", "browser", "dist", "bundle", "index.umd.min.js");
