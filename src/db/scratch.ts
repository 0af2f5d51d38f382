// A throw-away database for tests and benchmarks: a new database on the given
// PostgreSQL server (dropped on close), or an embedded in-memory one.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { openDatabase, type Database } from "./database.js";

export interface ScratchDatabase extends Database {
  /** The URL of this database when it lives on a server. */
  url?: string;
}

async function onServer(serverUrl: string, sql: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function openScratchDatabase(serverUrl: string | undefined, prefix = "cms_scratch"): Promise<ScratchDatabase> {
  if (!serverUrl) return openDatabase({});
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  await onServer(serverUrl, `CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString() });
  return {
    ...database,
    url: url.toString(),
    async close() {
      await database.close();
      await onServer(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
