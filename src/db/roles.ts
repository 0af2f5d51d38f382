// Two database roles on a PostgreSQL server: the schema owner applies migrations;
// the app connects as a role that may read and write the content tables but may only
// INSERT and SELECT on the audit trail. Not being the owner, it cannot ALTER the
// table, DISABLE its append-only trigger, or DROP it (see docs/operations.md, "Database roles").
import pg from "pg";

/** Grants the app's role what it needs on every table the migrations created (run as the owner after migrating). */
export async function grantAppRole(ownerUrl: string, appUrl: string): Promise<void> {
  const appRole = decodeURIComponent(new URL(appUrl).username);
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const owner = (await client.query<{ u: string }>("SELECT current_user AS u")).rows[0]!.u;
    // The owner as the app's role would keep every power this is meant to take away.
    if (!appRole || appRole === owner) {
      throw new Error(`DATABASE_URL must name a role other than the schema owner (${owner}) when MIGRATION_DATABASE_URL is set`);
    }
    const role = client.escapeIdentifier(appRole);
    await client.query(`BEGIN;
      GRANT USAGE ON SCHEMA public TO ${role};
      GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
      REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM ${role};
      REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "_prisma_migrations" FROM ${role};
      GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
      COMMIT;`);
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
