// Writes the embedded database template the build ships (see embedded-template.ts for
// how a first start uses it).
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "./database.js";
import { buildDir, currentManifest, manifestFile, templateFile } from "./embedded-template.js";

/** Writes the template: a new embedded database in a scratch folder, migrated, then copied. */
export async function writeEmbeddedTemplate(dir = buildDir): Promise<void> {
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
