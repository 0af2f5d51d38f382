// A first start on an empty embedded folder copies the build's template (initialised and
// migrated once) instead of running initdb and every migration; a template made from other
// migrations, or a folder that already holds a database, is never used.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyTemplate, embeddedTemplate } from "../src/db/embedded-template.js";
import { writeEmbeddedTemplate } from "../src/db/embedded-template-build.js";
import { openDatabase } from "../src/db/database.js";
import { migrationChecksums } from "../src/db/migrate.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "template-test-"));
  await writeEmbeddedTemplate(work);
}, 600_000);
afterAll(async () => rm(work, { recursive: true, force: true }));

describe("the embedded template", () => {
  it("starts an empty folder with every migration applied, and the folder then works as usual", async () => {
    const dataDir = path.join(work, "fresh");
    const template = await embeddedTemplate(dataDir, work);
    expect(template).toBe(path.join(work, "embedded-template"));
    await copyTemplate(template!, dataDir);
    const database = await openDatabase({ dataDir, template: false });
    try {
      const applied = await database.pool.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations" ORDER BY migration_name`);
      expect(applied.rows.map((r) => r.migration_name)).toEqual((await migrationChecksums()).map((m) => m.name));
      expect(await database.prisma.user.count()).toBe(0);
    } finally {
      await database.close();
    }
    expect(await embeddedTemplate(dataDir, work), "a folder with a database is never overwritten").toBeUndefined();
  }, 600_000);

  it("is ignored when it was made from other migrations", async () => {
    const manifest = path.join(work, "embedded-template.json");
    const original = await readFile(manifest, "utf8");
    const stale = JSON.parse(original) as { migrations: { name: string; checksum: string }[] };
    stale.migrations[0]!.checksum = "0".repeat(64);
    await writeFile(manifest, JSON.stringify(stale));
    try {
      expect(await embeddedTemplate(path.join(work, "other"), work)).toBeUndefined();
      await writeFile(manifest, JSON.stringify({ ...JSON.parse(original), migrations: stale.migrations.slice(1) }));
      expect(await embeddedTemplate(path.join(work, "other"), work)).toBeUndefined();
    } finally {
      await writeFile(manifest, original);
    }
    expect(await embeddedTemplate(path.join(work, "other"), work)).toBe(path.join(work, "embedded-template"));
  });
});
