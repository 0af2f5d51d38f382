// A private database per test file: a new database on the PostgreSQL server named
// by TEST_DATABASE_URL (as in CI), or an embedded in-memory PostgreSQL otherwise.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "../../src/db/database.js";

export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

export interface TestDatabase extends Database {
  /** The URL of this database when it lives on a server. */
  url?: string;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  if (!serverUrl) return openDatabase({});
  const name = `cms_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      const cleanup = new pg.Client({ connectionString: serverUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/** Removes all content and sessions; users and the append-only audit trail stay. */
export async function resetContent(database: Database) {
  await database.pool.query(
    `UPDATE article SET current_revision_id = NULL, published_revision_id = NULL;
     TRUNCATE comment, approval, citation, reference, section, revision, article, session CASCADE`,
  );
}

/** The id of the newest audit event; events after it belong to the code under test. */
export async function lastAuditId(database: Database): Promise<bigint> {
  const rows = await database.prisma.$queryRaw<{ id: bigint | null }[]>`SELECT max(id) AS id FROM audit_event`;
  return rows[0]?.id ?? 0n;
}

export async function auditEventsSince(database: Database, since: bigint) {
  return database.prisma.auditEvent.findMany({ where: { id: { gt: since } }, orderBy: { id: "asc" } });
}
