// A private database per test file: a new database on the PostgreSQL server named
// by TEST_DATABASE_URL (as in CI), or an embedded in-memory PostgreSQL otherwise.
import type { Database } from "../../src/db/database.js";
import { openScratchDatabase, type ScratchDatabase } from "../../src/db/scratch.js";
import { seedDatabase } from "../../src/services/seed.js";

export const serverUrl = process.env.TEST_DATABASE_URL || undefined;

export type TestDatabase = ScratchDatabase;

export function createTestDatabase(): Promise<TestDatabase> {
  return openScratchDatabase(serverUrl, "cms_test");
}

/** A test file's database with the seeded article and the demo accounts. */
export async function createSeededDatabase(): Promise<TestDatabase> {
  const database = await createTestDatabase();
  await seedDatabase(database.prisma, { demoUsers: true });
  return database;
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

/** Puts the seeded article back as it was first imported; users and the audit trail stay. */
export async function reseedContent(database: Database) {
  await resetContent(database);
  await seedDatabase(database.prisma, { demoUsers: false });
}
