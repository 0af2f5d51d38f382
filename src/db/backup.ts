// Backups of either database, consistent while the app runs:
// - a PostgreSQL server: pg_dump's custom format (one snapshot transaction), restored
//   with pg_restore into an empty database;
// - the embedded default: a gzip-compressed copy of the data folder, taken by the
//   folder's owner (the running app, or this command when the app is stopped) between
//   two statements, restored into an empty folder.
// The file's first bytes say which kind it is.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { open, readFile, readdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import type { Config } from "../config.js";
import { ConfigError } from "../errors.js";
import { verifyAuditChain, type VerifyResult } from "../audit/verify.js";
import { openDatabase, type Database } from "./database.js";

export type BackupKind = "embedded" | "server";

/**
 * Runs a PostgreSQL client tool asynchronously (a synchronous child would stall an
 * embedded owner in this process). The password travels in the environment, not in
 * the command line that every local user can list.
 */
function runTool(tool: string, args: string[], databaseUrl: string): Promise<void> {
  const url = new URL(databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = "";
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...(password ? { PGPASSWORD: password } : {}) };
    const child = spawn(tool, [...args, `--dbname=${url.toString()}`], { stdio: ["ignore", "ignore", "pipe"], env });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", (error: NodeJS.ErrnoException) =>
      reject(error.code === "ENOENT" ? new ConfigError(`${tool} was not found: install the PostgreSQL client tools (e.g. apt-get install postgresql-client) matching your server's version.`) : error),
    );
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new ConfigError(`${tool} failed: ${stderr.trim().split("\n").slice(-3).join(" ")}`))));
  });
}

/** Writes next to the target, then renames: a failed backup never leaves a half-written file under the requested name. */
async function writeAtomically(file: string, write: (tmp: string) => Promise<void>) {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.partial`);
  try {
    await write(tmp);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

export async function backup(config: Config, database: Database, out: string): Promise<{ kind: BackupKind; bytes: number }> {
  const file = path.resolve(out);
  if (!existsSync(path.dirname(file))) throw new ConfigError(`The folder of --out (${path.dirname(file)}) does not exist.`);
  if (config.databaseUrl) {
    // The schema owner when there is one: it can read every table.
    const url = config.migrationDatabaseUrl ?? config.databaseUrl;
    await writeAtomically(file, (tmp) => runTool("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", `--file=${tmp}`], url));
  } else {
    const bytes = await database.backupEmbedded!();
    await writeAtomically(file, async (tmp) => {
      const handle = await open(tmp, "w");
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    });
  }
  const size = (await readFile(file)).byteLength;
  return { kind: config.databaseUrl ? "server" : "embedded", bytes: size };
}

async function kindOf(file: string): Promise<BackupKind> {
  const handle = await open(file, "r").catch(() => {
    throw new ConfigError(`The backup file ${file} cannot be read.`);
  });
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(5), 0, 5, 0);
    if (bytesRead >= 2 && buffer[0] === 0x1f && buffer[1] === 0x8b) return "embedded";
    if (bytesRead === 5 && buffer.toString("latin1") === "PGDMP") return "server";
  } finally {
    await handle.close();
  }
  throw new ConfigError(`The file ${file} is not a backup made by npm run backup.`);
}

/** Restores into an empty folder or database, then applies newer migrations and verifies the audit trail. */
export async function restore(config: Config, from: string): Promise<VerifyResult> {
  const file = path.resolve(from);
  const kind = await kindOf(file);
  if (kind === "embedded" && config.databaseUrl) {
    throw new ConfigError("This backup is of the embedded database; unset DATABASE_URL and set DATA_DIR to an empty folder to restore it.");
  }
  if (kind === "server" && !config.databaseUrl) {
    throw new ConfigError("This backup is of a PostgreSQL server; set DATABASE_URL to an empty database to restore it.");
  }
  let database: Database;
  if (kind === "embedded") {
    const entries = await readdir(config.dataDir).catch(() => []);
    if (entries.length) {
      throw new ConfigError(`DATA_DIR (${config.dataDir}) is not empty; restore into a new folder, then point the app at it with DATA_DIR.`);
    }
    const bytes = await readFile(file);
    // Refuses with one sentence if the running app owns this folder.
    database = await openDatabase({ dataDir: config.dataDir, loadDataDir: new Blob([bytes]), ifOwned: "refuse" });
  } else {
    const url = config.migrationDatabaseUrl ?? config.databaseUrl!;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const tables = await client.query<{ n: string }>(`SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'`);
      if (Number(tables.rows[0]!.n) > 0) {
        throw new ConfigError("The database in DATABASE_URL is not empty; create a new database and restore into it.");
      }
    } finally {
      await client.end();
    }
    await runTool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", file], url);
    database = await openDatabase({ databaseUrl: url });
  }
  try {
    return await verifyAuditChain(database.pool);
  } finally {
    await database.close();
  }
}
