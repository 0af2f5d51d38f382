// The site a test file works against: its own database (seeded with the sample article and the
// five demo accounts) and the app built on it, as one call.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import { publicDeliveryOf } from "../../src/app.js";
import { createJobHandlers } from "../../src/job-handlers.js";
import { createMailer } from "../../src/jobs/mailer.js";
import type { JobHandlers } from "../../src/jobs/queue.js";
import { createTestApp, testConfig } from "./app.js";
import { createSeededDatabase, createTestDatabase, reseedContent, type TestDatabase } from "./database.js";
import { signInEveryone, type Agents } from "./session.js";

export type TestApp = Express;

export interface SiteOptions {
  /** Settings for the app, as environment variables (e.g. { PUBLIC_URL: "https://…" }). */
  env?: Record<string, string>;
  /** false: the database has only the schema (no article, no accounts). */
  seeded?: boolean;
  /** E-mail goes to a fresh outbox folder (`outboxDir`), removed when the database is closed. */
  outbox?: boolean;
  /** Waits until the public pages are rendered and cached, as a started server does. */
  publicPagesReady?: boolean;
}

export interface TestSite {
  /** Closing it ends the site: the database, and the outbox folder if there is one. */
  database: TestDatabase;
  app: TestApp;
  /** What the app logged (errors it handled). */
  logged: string[];
  /** Where the app writes e-mail (with `outbox`, a folder of the test's own). */
  outboxDir: string;
  /** The job handlers the app's worker would run, writing e-mail to that outbox. */
  jobHandlers: JobHandlers;
}

/** Opens a test file's database and builds the app on it. */
export async function openSite(options: SiteOptions = {}): Promise<TestSite> {
  const opened = options.seeded === false ? await createTestDatabase() : await createSeededDatabase();
  const outboxRoot = options.outbox ? await mkdtemp(path.join(tmpdir(), "cms-outbox-")) : null;
  const env = { ...(outboxRoot ? { OUTBOX_DIR: path.join(outboxRoot, "outbox") } : {}), ...options.env };
  const database: TestDatabase = {
    ...opened,
    async close() {
      await opened.close();
      if (outboxRoot) await rm(outboxRoot, { recursive: true, force: true });
    },
  };
  const { app, logged } = createTestApp(database, env);
  if (options.publicPagesReady) await publicDeliveryOf(app).ready;
  const { outboxDir } = testConfig(env);
  return { database, app, logged, outboxDir, jobHandlers: createJobHandlers({ mailer: createMailer({ outboxDir }) }) };
}

/**
 * Each test's fresh start: the seeded article as first imported (re-seeding also ends every
 * session), and all five demo people signed in again into `agents`.
 */
export async function startAfresh(database: TestDatabase, app: TestApp, agents: Agents): Promise<Agents> {
  await reseedContent(database);
  return signInEveryone(app, agents);
}
