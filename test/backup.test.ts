// Backups round-trip on both databases: restored into a fresh folder or database,
// the public pages are identical and the audit trail verifies with the same head.
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import request from "supertest";
import { afterAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.js";
import { verifyAuditChain } from "../src/audit/verify.js";
import { createUser } from "../src/services/people/index.js";
import { systemContext } from "../src/audit/audit-log.js";
import { createSeededDatabase, createTestApp, runCommand, type RunningApp, SEEDED_SLUG, serverUrl, startApp } from "./support/index.js";

const publicPages = [`/articles/${SEEDED_SLUG}`, "/articles", "/advisory-board"];
const running: RunningApp[] = [];
afterAll(async () => {
  for (const app of running) await app.stop("SIGKILL");
});

const chainHead = (output: string) => /Chain head: ([0-9a-f]{64})/.exec(output)?.[1];

describe("backup and restore", () => {
  it("of the embedded database, taken while the app runs, restores into a fresh folder with identical public pages and audit chain", async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), "cms-backup-"));
    const original = { DATA_DIR: path.join(root, "original") };
    const restored = { DATA_DIR: path.join(root, "restored") };
    const file = path.join(root, "cms.backup");
    const app = await startApp(original);
    running.push(app);
    const board = await runCommand("src/cli/user-create.ts", ["--email", "new.reviewer@demo.test", "--name", "Dr. New Reviewer", "--role", "reviewer", "--credentials", "MD"], { ...original, USER_PASSWORD: "a-password-for-this-test" });
    expect(board.code).toBe(0);

    const backedUp = await runCommand("src/cli/backup.ts", ["--out", file], original);
    expect(backedUp.output).toContain(`Working through the running app (process ${app.child.pid}).`);
    expect(backedUp.output).toMatch(/Backed up the embedded database to .*cms\.backup \([\d,]+ bytes\)\./);
    expect(backedUp.code).toBe(0);
    const verifiedOriginal = await runCommand("src/cli/audit-verify.ts", [], original);

    // Restoring over the running app's folder is refused with one sentence; nothing is touched.
    const refused = await runCommand("src/cli/restore.ts", [file], original);
    expect(refused.code).toBe(1);
    expect(refused.output).toBe(`DATA_DIR (${original.DATA_DIR}) is not empty; restore into a new folder, then point the app at it with DATA_DIR.`);

    const restoredRun = await runCommand("src/cli/restore.ts", [file], restored);
    expect(restoredRun.output).toMatch(/^Restored into DATA_DIR \(.*restored\)\. Audit trail intact: \d+ events\. Chain head: [0-9a-f]{64}$/);
    expect(restoredRun.code).toBe(0);
    expect(chainHead(restoredRun.output)).toBe(chainHead(verifiedOriginal.output));

    const copy = await startApp(restored);
    running.push(copy);
    for (const page of publicPages) {
      const [a, b] = await Promise.all([request(app.baseUrl).get(page), request(copy.baseUrl).get(page)]);
      expect(a.status, page).toBe(200);
      expect(b.text, page).toBe(a.text);
    }
    expect((await request(copy.baseUrl).get("/advisory-board")).text).toContain("Dr. New Reviewer");
    expect(chainHead((await runCommand("src/cli/audit-verify.ts", [], restored)).output)).toBe(chainHead(verifiedOriginal.output));
  }, 180_000); // several app processes start one after another, each opening an embedded database

  it.skipIf(!serverUrl)("of a PostgreSQL server database restores into an empty database with identical public pages and audit chain (PostgreSQL server only)", async () => {
    const source = await createSeededDatabase();
    const emptyName = `cms_restore_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${emptyName}`);
    const target = new URL(serverUrl!);
    target.pathname = `/${emptyName}`;
    try {
      await createUser(source.prisma, systemContext(), { email: "board@demo.test", name: "Dr. Board", role: "REVIEWER", credentials: "MD", password: "a-password-for-this-test" });
      const file = path.join(mkdtempSync(path.join(os.tmpdir(), "cms-backup-")), "server.backup");
      const backedUp = await runCommand("src/cli/backup.ts", ["--out", file], { DATABASE_URL: source.url! });
      expect(backedUp.output).toMatch(/Backed up the PostgreSQL database to .*server\.backup/);
      expect(backedUp.code).toBe(0);
      const restoredRun = await runCommand("src/cli/restore.ts", [file], { DATABASE_URL: target.toString() });
      expect(restoredRun.code, restoredRun.output).toBe(0);
      const again = await runCommand("src/cli/restore.ts", [file], { DATABASE_URL: target.toString() });
      expect(again.output).toBe("The database in DATABASE_URL is not empty; create a new database and restore into it.");

      const copy = await openDatabase({ databaseUrl: target.toString() });
      try {
        const [before, after] = [await verifyAuditChain(source.pool), await verifyAuditChain(copy.pool)];
        expect(after).toEqual(before);
        expect(chainHead(restoredRun.output)).toBe(before.lastHash);
        const [appA, appB] = [createTestApp(source).app, createTestApp(copy).app];
        for (const page of publicPages) {
          const [a, b] = [await request(appA).get(page), await request(appB).get(page)];
          expect(a.status, page).toBe(200);
          expect(b.text, page).toBe(a.text);
        }
      } finally {
        await copy.close();
      }
    } finally {
      await source.close();
      await admin.query(`DROP DATABASE IF EXISTS ${emptyName} WITH (FORCE)`);
      await admin.end();
    }
  });
});
