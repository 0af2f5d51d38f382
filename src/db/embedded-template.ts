// A freshly initialised, fully migrated embedded database, written once by the build
// (dist/embedded-template.tar.gz) so that a first start on an empty DATA_DIR copies it
// instead of running PostgreSQL's initdb and every migration in WebAssembly (most of a
// fresh start's time). It is used only when it was made by the same PGlite version from
// exactly the migrations in prisma/migrations (names and checksums); otherwise the folder
// is initialised and migrated as before. Either way the migrations then run as usual and
// find nothing to do.
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { projectRoot } from "../paths.js";
import { migrationChecksums } from "./migrate.js";

const buildDir = path.join(projectRoot, "dist");
const templateFile = (dir: string) => path.join(dir, "embedded-template.tar.gz");
const manifestFile = (dir: string) => path.join(dir, "embedded-template.json");

interface Manifest {
  pglite: string;
  migrations: { name: string; checksum: string }[];
}

async function currentManifest(): Promise<Manifest> {
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

/** Writes the template: a new embedded database in a scratch folder, migrated, then copied. */
export async function writeEmbeddedTemplate(dir = buildDir): Promise<void> {
  // Imported here: database.ts imports this module.
  const { openDatabase } = await import("./database.js");
  const scratch = await mkdtemp(path.join(tmpdir(), "embedded-template-"));
  try {
    const database = await openDatabase({ dataDir: path.join(scratch, "data"), template: false });
    try {
      const [copy, manifest] = await Promise.all([database.backupEmbedded!(), currentManifest()]);
      await writeFile(templateFile(dir), copy);
      await writeFile(manifestFile(dir), JSON.stringify(manifest));
    } finally {
      await database.close();
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
