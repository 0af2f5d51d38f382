// Starts the application: configuration, database (embedded by default),
// migrations, first-run seed, then HTTP. Any start-up problem ends the process
// with one sentence naming the setting at fault.
import type { Server } from "node:http";
import { loadConfig } from "./config.js";
import type { AddressInfo } from "node:net";
import { openAppDatabase, type Database } from "./db/database.js";
import { ConfigError } from "./errors.js";
import { createApp, createServer, publicDeliveryOf } from "./app.js";
import { seedDatabase } from "./services/seed.js";
import { pruneExpiredSessions } from "./web/session-store.js";
import { demoUsers } from "../seed/demo-users.js";
import { pruneSecurityLog, pruneThrottle } from "./services/people/index.js";
import { startJobRunner } from "./jobs/queue.js";
import { createJobHandlers } from "./job-handlers.js";
import { notifyAnsweredQuestions } from "./services/readers/index.js";
import { createMailer } from "./jobs/mailer.js";
import { remindReviewers } from "./services/review/index.js";
import { failStrandedSchedules } from "./services/publishing/index.js";
import { createLogger } from "./logging.js";

async function main() {
  const config = loadConfig();
  const database = await openAppDatabase(config);
  if ((await database.prisma.article.count()) === 0) {
    const seeded = await seedDatabase(database.prisma, { demoUsers: config.seedDemoUsers });
    console.log(`Seeded ${seeded.articles.length} article(s) and ${seeded.demoUsers.length} demo account(s).`);
  }
  const logger = createLogger();
  const app = createApp({ config, database, logger });
  const server = await listen(app, config.port, config.host);
  const where = database.kind === "embedded" ? `embedded PostgreSQL in ${config.dataDir}` : "PostgreSQL server from DATABASE_URL";
  const port = (server.address() as AddressInfo).port;
  const host = ["0.0.0.0", "::"].includes(config.host) ? "localhost" : config.host.includes(":") ? `[${config.host}]` : config.host;
  const demo = await activeDemoAccounts(database);
  if (demo.length) {
    console.log(`Demo accounts with the published password from the README are active: ${demo.join(", ")}. Anyone who can reach ${config.host}:${port} can sign in with them.`);
  }
  console.log(`Listening on http://${host}:${port} on ${config.host} (${where}). Sign in at http://${host}:${port}/login`);
  const staticExport = publicDeliveryOf(app).staticExport;
  if (staticExport) {
    // The export starts complete; from then on every change rewrites what it touched.
    const { pages } = await staticExport.writeAll();
    console.log(`Static export: ${pages} pages written to ${config.staticExportDir}.`);
  }
  const prune = () => Promise.all([pruneExpiredSessions(database.prisma), pruneSecurityLog(database.prisma, config.securityLogRetentionDays), pruneThrottle(database.prisma)]);
  await prune();
  setInterval(() => void prune().catch(() => {}), 3600_000).unref();
  // Scheduled publications and other queued work; anything that fell due while the app was stopped runs now.
  const jobHandlers = createJobHandlers({ mailer: createMailer(config), publicUrl: config.publicUrl });
  const jobs = startJobRunner(database.prisma, jobHandlers, {
    logger,
    periodic: [remindReviewers, failStrandedSchedules, (db) => notifyAnsweredQuestions(db, config.questionEmailRetentionDays)],
    onError: (error) => logger.error({ error: (error as Error)?.message ?? String(error) }, "A queued job could not run"),
  });
  shutdownOn(server, database, jobs);
  // Libraries that load on first use (decision 0039) are loaded once the app serves, so a missing
  // or broken one is reported here at start, not first met by the person who needs it.
  setTimeout(() => {
    Promise.all([import("sharp"), import("@simplewebauthn/server"), import("nodemailer"), import("otplib"), import("qrcode"), import("openid-client")])
      .catch((error) => logger.error({ error: (error as Error)?.message ?? String(error) }, "A library the app loads on first use could not be loaded"));
  }, 3000).unref();
}

async function activeDemoAccounts(database: Database): Promise<string[]> {
  const users = await database.prisma.user.findMany({ where: { email: { in: demoUsers.map((u) => u.email) }, active: true }, select: { email: true } });
  return users.map((u) => u.email);
}

function listen(app: ReturnType<typeof createApp>, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Cached public pages are answered ahead of Express (decision 0034).
    const server = createServer(app).listen(port, host);
    server.once("listening", () => resolve(server));
    server.once("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") reject(new ConfigError(`Setting PORT (${port}) is already in use by another program; choose another port.`));
      else if (error.code === "EACCES") reject(new ConfigError(`Setting PORT (${port}) needs privileges this process does not have; choose a port above 1024.`));
      else reject(error);
    });
  });
}

function shutdownOn(server: Server, database: Database, jobs: { stop(): Promise<void> }) {
  const stop = () => {
    server.close(() => {
      void jobs.stop().finally(() => database.close().finally(() => process.exit(0)));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error(`The app could not start: ${(error as Error)?.message ?? error}`);
  }
  process.exit(1);
});
