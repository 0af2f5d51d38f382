// A freshly initialised, fully migrated embedded database, written once by the build
// (dist/embedded-template.tar.gz) so that a first start on an empty DATA_DIR copies it
// instead of running PostgreSQL's initdb and every migration in WebAssembly (most of a
// fresh start's time). It is used only when it was made by the same PGlite version from
// exactly the migrations in prisma/migrations (names and checksums); otherwise the folder
// is initialised and migrated as before. Either way the migrations then run as usual and
// find nothing to do. The build writes it with embedded-template-build.ts.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { projectRoot } from "../paths.js";
import { migrationChecksums } from "./migrate.js";

export const buildDir = path.join(projectRoot, "dist");
export const templateFile = (dir: string) => path.join(dir, "embedded-template.tar.gz");
export const manifestFile = (dir: string) => path.join(dir, "embedded-template.json");

interface Manifest {
  pglite: string;
  migrations: { name: string; checksum: string }[];
}

export async function currentManifest(): Promise<Manifest> {
  const packageJson = path.join(path.dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite")), "..", "package.json");
  const pglite = (JSON.parse(await readFile(packageJson, "utf8")) as { version: string }).version;
  return { pglite, migrations: await migrationChecksums() };
}

/** The template for a new folder, or undefined when there is none that matches this build. */
export async function embeddedTemplate(dataDir: string, dir = buildDir): Promise<Blob | undefined> {
  if (existsSync(path.join(dataDir, "PG_VERSION")) || !existsSync(templateFile(dir)) || !existsSync(manifestFile(dir))) return undefined;
  try {
    const [stored, current] = await Promise.all([readFile(manifestFile(dir), "utf8").then((text) => JSON.parse(text) as Manifest), currentManifest()]);
    if (JSON.stringify(stored) !== JSON.stringify(current)) return undefined;
    return new Blob([await readFile(templateFile(dir))]);
  } catch {
    return undefined;
  }
}
