// Writes the embedded database template the build ships (see embedded-template.ts for
// how a first start uses it).
import { cp, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "./database.js";
import { buildDir, currentManifest, manifestFile, templateFolder } from "./embedded-template.js";

/** Writes the template: a new embedded database in a scratch folder, migrated, shut down, then copied. */
export async function writeEmbeddedTemplate(dir = buildDir): Promise<void> {
  const scratch = await mkdtemp(path.join(tmpdir(), "embedded-template-"));
  try {
    const data = path.join(scratch, "data");
    const database = await openDatabase({ dataDir: data, template: false });
    await database.close(); // a clean shutdown: the files are then a consistent database
    await rm(templateFolder(dir), { recursive: true, force: true });
    await rm(path.join(dir, "embedded-template.tar.gz"), { force: true }); // the earlier builds' archive
    await cp(data, templateFolder(dir), { recursive: true });
    await writeFile(manifestFile(dir), JSON.stringify(await currentManifest()));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
