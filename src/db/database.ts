// Opens the database: a PostgreSQL server when DATABASE_URL is set, otherwise an
// embedded PostgreSQL (PGlite) whose data lives in a folder. Both are reached through
// the same wire protocol, driver (pg), Prisma adapter and migrations.
import { mkdir } from "node:fs/promises";
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { PrismaClient } from "../generated/prisma/client.js";
import { ConfigError } from "../errors.js";
import { applyMigrations } from "./migrate.js";

export type Db = PrismaClient;

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** "embedded" or "server", shown by /healthz. */
  kind: "embedded" | "server";
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** Folder for the embedded database; omitted = in memory (tests). */
  dataDir?: string;
  migrate?: boolean;
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  let embedded: { db: PGlite; server: PGLiteSocketServer } | undefined;
  let connectionString = options.databaseUrl;
  if (!connectionString) {
    if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
    const db = options.dataDir ? new PGlite(options.dataDir) : new PGlite();
    try {
      await db.waitReady;
    } catch (error) {
      throw new ConfigError(`Setting DATA_DIR (${options.dataDir}) could not be opened as an embedded database: ${(error as Error).message}.`);
    }
    // A loopback socket on a free port: the same driver then serves both kinds.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
    await server.start();
    embedded = { db, server };
    connectionString = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  }

  const pool = new pg.Pool({ connectionString, max: embedded ? 1 : 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    await embedded?.server.stop();
    const url = new URL(connectionString);
    throw new ConfigError(
      `Setting DATABASE_URL points at a PostgreSQL server that cannot be reached (${url.hostname}:${url.port || 5432}${url.pathname}): ${(error as Error).message}.`,
    );
  }

  if (options.migrate !== false) await applyMigrations(pool);

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  if (embedded) serializeInteractiveTransactions(prisma);
  return {
    prisma,
    pool,
    kind: embedded ? "embedded" : "server",
    async close() {
      await prisma.$disconnect().catch(() => {});
      await pool.end().catch(() => {});
      if (embedded) {
        await embedded.server.stop();
        await embedded.db.close();
      }
    },
  };
}

/**
 * PGlite is one PostgreSQL session shared by every socket connection: while one
 * transaction is open, the socket server holds back every other connection's
 * queries. Interactive transactions that wait for each other can then outlive
 * Prisma's transaction timeout and wedge the queue. Running them one at a time
 * in this process avoids that; a PostgreSQL server needs no such thing.
 */
function serializeInteractiveTransactions(prisma: PrismaClient) {
  let tail: Promise<unknown> = Promise.resolve();
  const original = prisma.$transaction.bind(prisma) as (...args: unknown[]) => Promise<unknown>;
  const serialized = (...args: unknown[]) => {
    if (typeof args[0] !== "function") return original(...args);
    const run = tail.then(() => original(args[0], { maxWait: 60_000, timeout: 60_000, ...(args[1] as object) }));
    tail = run.catch(() => {});
    return run;
  };
  (prisma as unknown as { $transaction: typeof serialized }).$transaction = serialized;
}
