// What protects the audit trail beyond its append-only trigger: on a server, the app's
// own role cannot switch the trigger off; and chain-head checkpoints catch what the
// hash chain alone cannot (deleted newest events, a rewritten and re-hashed tail).
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { openAppDatabase } from "../src/db/database.js";
import { seedDatabase } from "../src/services/seed.js";
import { verifyAuditChain, readChainRows } from "../src/audit/verify.js";
import { eventHash } from "../src/audit/chain.js";
import { checkAgainstCheckpoint, latestCheckpoint, recordCheckpoint } from "../src/audit/checkpoint.js";
import { createSeededDatabase, createTestApp, demo, runCommand, serverUrl, signedInAgent, testConfig, type TestDatabase } from "./support/index.js";

describe("database roles", () => {
  // Roles exist only on a server; the embedded database has a single user.
  it.skipIf(!serverUrl)("the app's role may only INSERT and SELECT on the audit trail and cannot switch off its trigger (PostgreSQL server only)", async () => {
    const suffix = randomBytes(5).toString("hex");
    const [dbName, role] = [`cms_roles_${suffix}`, `cms_app_${suffix}`];
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.query(`CREATE ROLE ${role} LOGIN`);
    const ownerUrl = new URL(serverUrl!);
    ownerUrl.pathname = `/${dbName}`;
    const appUrl = new URL(ownerUrl);
    appUrl.username = role;
    const config = testConfig({ DATABASE_URL: appUrl.toString(), MIGRATION_DATABASE_URL: ownerUrl.toString() });
    const database = await openAppDatabase(config);
    try {
      await seedDatabase(database.prisma, { demoUsers: true });
      const asApp = (sql: string) => database.pool.query(sql);
      await expect(asApp("ALTER TABLE audit_event DISABLE TRIGGER USER")).rejects.toThrow("must be owner of table audit_event");
      await expect(asApp("DELETE FROM audit_event")).rejects.toThrow("permission denied for table audit_event");
      await expect(asApp("UPDATE audit_event SET comment = 'x'")).rejects.toThrow("permission denied for table audit_event");
      await expect(asApp("TRUNCATE audit_event")).rejects.toThrow("permission denied for table audit_event");
      await expect(asApp("DROP TABLE audit_event")).rejects.toThrow("must be owner of table audit_event");
      await expect(asApp(`DELETE FROM "_prisma_migrations"`)).rejects.toThrow("permission denied for table _prisma_migrations");
      // The app itself works as that role: sign-in, an editorial change, its audit event.
      const app = createTestApp(database).app;
      const reviewer = await signedInAgent(app, demo.priya);
      const article = await database.prisma.article.findFirstOrThrow();
      await reviewer.post(`/editor/articles/${article.id}/comments`).type("form")
        .send({ _csrf: reviewer.csrf, revisionId: article.currentRevisionId, body: "Checked as the app's role." }).expect(303);
      expect(await database.prisma.auditEvent.count({ where: { action: "comment.created" } })).toBe(1);
      expect((await verifyAuditChain(database.pool)).ok).toBe(true);
    } finally {
      await database.close();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it.skipIf(!serverUrl)("refuses to run as the schema owner when a separate owner is configured (PostgreSQL server only)", async () => {
    const url = serverUrl!;
    await expect(openAppDatabase(loadConfig({ DATABASE_URL: url, MIGRATION_DATABASE_URL: url }))).rejects.toThrow(/DATABASE_URL must name a role other than the schema owner/);
  });
});

describe("audit chain checkpoints", () => {
  let database: TestDatabase;
  let file: string;
  beforeAll(async () => {
    database = await createSeededDatabase();
    file = path.join(mkdtempSync(path.join(os.tmpdir(), "cms-checkpoint-")), "checkpoints.jsonl");
  });
  afterAll(async () => database?.close());

  /** What someone who can bypass the trigger (a superuser) could do. */
  async function asSuperuser(sql: string) {
    await database.pool.query(`ALTER TABLE audit_event DISABLE TRIGGER USER; ${sql}; ALTER TABLE audit_event ENABLE TRIGGER USER`);
  }

  it("catch a deleted newest event and a rewritten, re-hashed event that the chain alone accepts", async () => {
    const first = await recordCheckpoint(database.pool, file);
    expect(first.ok).toBe(true);
    const pinned = await latestCheckpoint(file);
    expect(await checkAgainstCheckpoint(database.pool, pinned)).toEqual({ ok: true, checkpoint: pinned });

    // Deleting the newest event: the chain still links up.
    await asSuperuser(`DELETE FROM audit_event WHERE id = ${pinned.lastId}`);
    expect((await verifyAuditChain(database.pool)).ok).toBe(true);
    expect(await checkAgainstCheckpoint(database.pool, pinned)).toEqual({ ok: false, reason: `event ${pinned.lastId}, the newest at the checkpoint of ${pinned.at}, is missing (newer events were deleted or the trail was replaced)` });

    // Rewriting the (new) newest event and recomputing its hash: the chain still verifies.
    const second = await recordCheckpoint(database.pool, file);
    expect(second.ok).toBe(true);
    const latest = await latestCheckpoint(file);
    expect(latest.lastId).not.toBe(pinned.lastId);
    const [row] = (await readChainRows(database.pool, String(BigInt(latest.lastId) - 1n), 1));
    const rewritten = { ...row!, comment: "rewritten" };
    const { prevHash, hash: _old, ...fields } = rewritten;
    await asSuperuser(`UPDATE audit_event SET comment = 'rewritten', hash = '${eventHash(prevHash, fields)}' WHERE id = ${latest.lastId}`);
    expect((await verifyAuditChain(database.pool)).ok).toBe(true);
    expect(await checkAgainstCheckpoint(database.pool, latest)).toEqual({ ok: false, reason: `event ${latest.lastId} no longer has the hash recorded at the checkpoint of ${latest.at} (events up to it were rewritten)` });
  });

  it("are refused for a broken chain, and a damaged checkpoint file is reported", async () => {
    const own = await createSeededDatabase();
    try {
      await own.pool.query(`ALTER TABLE audit_event DISABLE TRIGGER USER; UPDATE audit_event SET comment = 'tampered' WHERE id = (SELECT min(id) FROM audit_event); ALTER TABLE audit_event ENABLE TRIGGER USER`);
      const refused = await recordCheckpoint(own.pool, file);
      expect(refused.ok).toBe(false);
      expect(refused.ok ? "" : refused.reason).toMatch(/^the audit trail is broken at event \d+: its content does not match its hash/);
    } finally {
      await own.close();
    }
    const damaged = path.join(path.dirname(file), "damaged.jsonl");
    writeFileSync(damaged, "not json\n");
    await expect(latestCheckpoint(damaged)).rejects.toThrow(`the checkpoint file ${damaged} has no readable checkpoint on its last line`);
  });

  it.skipIf(!serverUrl)("are recorded and checked by the commands (PostgreSQL server only)", async () => {
    const own = await createSeededDatabase();
    try {
      const cpFile = path.join(path.dirname(file), "commands.jsonl");
      const env = { DATABASE_URL: own.url! };
      const recorded = await runCommand("src/cli/audit-checkpoint.ts", ["--file", cpFile], env);
      expect(recorded.output).toMatch(/^Checkpoint recorded in .*commands\.jsonl: \d+ events, newest event \d+, chain head [0-9a-f]{64}\.$/);
      const good = await runCommand("src/cli/audit-verify.ts", ["--checkpoint", cpFile], env);
      expect(good.code).toBe(0);
      expect(good.output).toMatch(/Matches the checkpoint of/);
      const { lastId } = await latestCheckpoint(cpFile);
      await own.pool.query(`ALTER TABLE audit_event DISABLE TRIGGER USER; DELETE FROM audit_event WHERE id = ${lastId}; ALTER TABLE audit_event ENABLE TRIGGER USER`);
      const plain = await runCommand("src/cli/audit-verify.ts", [], env);
      expect(plain.code).toBe(0);
      const caught = await runCommand("src/cli/audit-verify.ts", ["--checkpoint", cpFile], env);
      expect(caught.code).toBe(2);
      expect(caught.output).toContain(`Audit trail does NOT match its checkpoint: event ${lastId}, the newest at the checkpoint of`);
    } finally {
      await own.close();
    }
  });
});
