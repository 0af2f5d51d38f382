// Writes the embedded database template the build ships (see embedded-template.ts for
// how a first start uses it).
import { cp, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
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
    // The manifest goes first and comes back last, and the folder is swapped in by a rename:
    // a build cut short leaves no template that a start would use, never half of one.
    await rm(manifestFile(dir), { force: true });
    await rm(path.join(dir, "embedded-template.tar.gz"), { force: true }); // the earlier builds' archive
    const staged = `${templateFolder(dir)}.new`;
    await rm(staged, { recursive: true, force: true });
    await cp(data, staged, { recursive: true });
    await rm(templateFolder(dir), { recursive: true, force: true });
    await rename(staged, templateFolder(dir));
    await writeFile(manifestFile(dir), JSON.stringify(await currentManifest()));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
