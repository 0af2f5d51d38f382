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
import { applyMigrations, pendingMigrations } from "./migrate.js";
import { copyTemplate, embeddedTemplate } from "./embedded-template.js";
import type { Config } from "../config.js";
import { askOwner, claimDataDir, controlAddress } from "./data-dir-owner.js";
import { grantAppRole } from "./roles.js";

export type Db = PrismaClient;

export interface Database {
  prisma: PrismaClient;
  pool: pg.Pool;
  /** "embedded" or "server", shown by /healthz. */
  kind: "embedded" | "server";
  /**
   * Calls onMessage with the payload of every NOTIFY on the channel (delivered at
   * commit), and onReady(false) whenever delivery may have been interrupted, then
   * onReady(true) once messages flow again. Returns a function that stops listening.
   */
  listen(channel: string, handlers: NotificationHandlers): Promise<() => Promise<void>>;
  /** Set when an embedded folder is used through the running app that owns it. */
  ownerPid?: number;
  /** Embedded only: a consistent copy of the data folder (gzip-compressed tar). */
  backupEmbedded?(): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface NotificationHandlers {
  onMessage(payload: string): void;
  onReady(ready: boolean): void;
}

export interface OpenOptions {
  databaseUrl?: string;
  /** Folder for the embedded database; omitted = in memory (tests). */
  dataDir?: string;
  migrate?: boolean;
  /**
   * When another process (the running app) owns the embedded folder: "connect" works
   * through its database (commands), "refuse" stops with one sentence (a second app).
   */
  ifOwned?: "connect" | "refuse";
  /** Embedded only: create the folder's database from this backup (src/db/backup.ts). */
  loadDataDir?: Blob;
  /** Embedded only: false = never start a new folder from the build's template (src/db/embedded-template.ts). */
  template?: boolean;
}

/** Why an embedded folder cannot be used right now, as one sentence. */
export function folderInUse(dataDir: string, pid: number, what: string): ConfigError {
  return new ConfigError(`The embedded database in DATA_DIR (${dataDir}) is in use by process ${pid} (the running app or a command); ${what}.`);
}

export async function openDatabase(options: OpenOptions): Promise<Database> {
  let embedded: { db: PGlite; server: PGLiteSocketServer; release(): Promise<void> } | undefined;
  let ownerPid: number | undefined;
  let connectionString = options.databaseUrl;
  if (!connectionString && options.dataDir) {
    const claim = await claimDataDir(options.dataDir);
    if ("owner" in claim) {
      const { pid, pgAddress } = claim.owner;
      if (options.ifOwned !== "connect") throw folderInUse(options.dataDir, pid, "stop it first, or set a different DATA_DIR");
      if (!pgAddress) throw folderInUse(options.dataDir, pid, "it is still starting, so try again in a moment");
      ownerPid = pid;
      connectionString = `postgresql://postgres@${pgAddress}/postgres?sslmode=disable`;
    } else {
      try {
        const template = options.loadDataDir || options.template === false ? undefined : await embeddedTemplate(options.dataDir);
        if (template) await copyTemplate(template, options.dataDir);
        embedded = await openEmbedded(options.dataDir, options.loadDataDir);
      } catch (error) {
        await claim.claimed.release();
        throw error;
      }
      const { db, server } = embedded;
      embedded.release = claim.claimed.release;
      claim.claimed.serve({ info: () => ({ pid: process.pid, pgAddress: server.getServerConn() }), backup: () => snapshot(db) });
      connectionString = `postgresql://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
    }
  } else if (!connectionString) {
    embedded = await openEmbedded(undefined);
    connectionString = `postgresql://postgres@${embedded.server.getServerConn()}/postgres?sslmode=disable`;
  }

  const embeddedKind = !!embedded || ownerPid !== undefined;
  const pool = new pg.Pool({ connectionString, max: embeddedKind ? 1 : 10, connectionTimeoutMillis: 10_000 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  try {
    const client = await pool.connect();
    client.release();
  } catch (error) {
    await pool.end().catch(() => {});
    await embedded?.server.stop();
    await embedded?.release();
    if (ownerPid !== undefined) throw folderInUse(options.dataDir!, ownerPid, `its database did not answer (${(error as Error).message})`);
    const url = new URL(connectionString);
    throw new ConfigError(
      `Setting DATABASE_URL points at a PostgreSQL server that cannot be reached (${url.hostname}:${url.port || 5432}${url.pathname}): ${(error as Error).message}.`,
    );
  }

  if (options.migrate !== false) {
    try {
      await applyMigrations(pool);
    } catch (error) {
      await pool.end().catch(() => {});
      if (embedded) {
        await embedded.server.stop();
        await embedded.db.close();
        await embedded.release();
      }
      throw error;
    }
  }

  // A command working through the running app's database does not listen: the app does.
  const listeners = embedded ? embeddedListeners(embedded.db, pool) : ownerPid !== undefined ? noListeners : serverListeners(connectionString);

  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  if (embedded) serializeInteractiveTransactions(prisma);
  const dataDir = options.dataDir;
  return {
    prisma,
    pool,
    kind: embeddedKind ? "embedded" : "server",
    ownerPid,
    backupEmbedded: !dataDir ? undefined : embedded ? () => snapshot(embedded.db) : () => askOwner(controlAddress(dataDir), { op: "backup" }),
    listen: listeners.listen,
    async close() {
      await listeners.closeAll();
      await prisma.$disconnect().catch(() => {});
      await pool.end().catch(() => {});
      if (embedded) {
        await embedded.server.stop();
        await embedded.db.close();
        await embedded.release();
      }
    },
  };
}

async function openEmbedded(dataDir: string | undefined, loadDataDir?: Blob) {
  if (dataDir) await mkdir(dataDir, { recursive: true });
  const db = dataDir ? new PGlite(dataDir, loadDataDir ? { loadDataDir } : {}) : new PGlite();
  try {
    await db.waitReady;
  } catch (error) {
    throw new ConfigError(`Setting DATA_DIR (${dataDir}) could not be opened as an embedded database: ${(error as Error).message}.`);
  }
  // A loopback socket on a free port: the same driver then serves both kinds.
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 4 });
  await server.start();
  return { db, server, release: async () => {} };
}

/**
 * A copy of the data folder as PostgreSQL would find it after a crash at this
 * instant: taken between two statements (PGlite runs one at a time), after a
 * checkpoint when no transaction is open, and replayed from the WAL on restore.
 */
async function snapshot(db: PGlite): Promise<Uint8Array> {
  if (!db.isInTransaction()) await db.exec("CHECKPOINT");
  const file = await db.dumpDataDir("gzip");
  return new Uint8Array(await file.arrayBuffer());
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

/**
 * The app's database. With MIGRATION_DATABASE_URL, migrations are applied as the
 * schema owner and the app itself connects as a role that cannot alter the schema
 * or switch off the audit trail's trigger (see docs/operations.md, "Database roles").
 */
export async function openAppDatabase(config: Config): Promise<Database> {
  if (!config.migrationDatabaseUrl) return openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const owner = await openDatabase({ databaseUrl: config.migrationDatabaseUrl });
  await owner.close();
  try {
    await grantAppRole(config.migrationDatabaseUrl, config.databaseUrl!);
  } catch (error) {
    throw new ConfigError(`Setting MIGRATION_DATABASE_URL could not grant the app's role its rights: ${(error as Error).message}.`);
  }
  const database = await openDatabase({ databaseUrl: config.databaseUrl, migrate: false });
  const pending = await pendingMigrations(database.pool);
  if (pending.length) {
    await database.close();
    throw new ConfigError(`Setting DATABASE_URL names a database that lacks migration ${pending[0]}; MIGRATION_DATABASE_URL must point at the same database.`);
  }
  return database;
}

type Listening = { channel: string; handlers: NotificationHandlers };

const noListeners = {
  async listen(_channel: string, handlers: NotificationHandlers) {
    handlers.onReady(false);
    return async () => {};
  },
  async closeAll() {},
};

/**
 * PGlite is one PostgreSQL session behind every socket connection, so a LISTEN issued
 * on it holds for all of them, and a notification arrives on whichever pool client
 * ran the committing statement. Every pool client therefore forwards notifications.
 */
function embeddedListeners(db: PGlite, pool: pg.Pool) {
  const active = new Set<Listening>();
  const forward = (message: pg.Notification) => {
    for (const l of active) if (l.channel === message.channel) l.handlers.onMessage(message.payload ?? "");
  };
  pool.on("connect", (client) => client.on("notification", forward));
  return {
    async listen(channel: string, handlers: NotificationHandlers) {
      await db.exec(`LISTEN ${quoteIdent(channel)}`);
      const entry = { channel, handlers };
      active.add(entry);
      handlers.onReady(true);
      return async () => {
        active.delete(entry);
      };
    },
    async closeAll() {
      active.clear();
    },
  };
}

/**
 * On a server, each listener holds one dedicated connection (pooled connections are
 * shared and cannot keep a LISTEN). A lost connection is reported (onReady(false)) and
 * re-established with a growing delay.
 */
function serverListeners(connectionString: string) {
  const stops = new Set<() => Promise<void>>();
  return {
    async listen(channel: string, handlers: NotificationHandlers) {
      let client: pg.Client | null = null;
      let stopped = false;
      let retryDelay = 250;
      let retryTimer: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        const c = new pg.Client({ connectionString, connectionTimeoutMillis: 10_000 });
        const lost = () => {
          if (client !== c) return;
          client = null;
          handlers.onReady(false);
          c.end().catch(() => {});
          if (!stopped) {
            retryTimer = setTimeout(() => void connect().catch(() => {}), retryDelay);
            retryTimer.unref();
            retryDelay = Math.min(retryDelay * 2, 10_000);
          }
        };
        c.on("notification", (message) => {
          if (message.channel === channel) handlers.onMessage(message.payload ?? "");
        });
        c.on("error", lost);
        c.on("end", lost);
        client = c;
        try {
          await c.connect();
          await c.query(`LISTEN ${quoteIdent(channel)}`);
        } catch (error) {
          lost();
          throw error;
        }
        retryDelay = 250;
        if (!stopped) handlers.onReady(true);
      };
      // A first failure is retried like a lost connection; until then onReady stays false.
      await connect().catch(() => {});
      const stop = async () => {
        stopped = true;
        clearTimeout(retryTimer);
        const c = client;
        client = null;
        await c?.end().catch(() => {});
        stops.delete(stop);
      };
      stops.add(stop);
      return stop;
    },
    async closeAll() {
      await Promise.all([...stops].map((stop) => stop()));
    },
  };
}

function quoteIdent(name: string) {
  return `"${name.replace(/"/g, '""')}"`;
}
