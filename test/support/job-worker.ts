// A separate worker process for the queue test: at the given moment it claims jobs of
// kind "test.log" from the database at the given URL, two at a time, and records which
// process ran each. Prints how many it ran.
import { openDatabase } from "../../src/db/database.js";
import { runDueJobs, type JobHandlers } from "../../src/jobs/queue.js";

const [url, worker, startAt] = process.argv.slice(2);
if (!url || !worker || !startAt) throw new Error("usage: job-worker.ts <database url> <worker name> <start time in ms>");
const database = await openDatabase({ databaseUrl: url, migrate: false });
const handlers: JobHandlers = {
  "test.log": async (tx, job) => {
    await tx.$executeRaw`SELECT pg_sleep(0.01)`;
    await tx.$executeRaw`INSERT INTO job_run_log (job_id, worker) VALUES (${job.id}::uuid, ${worker})`;
  },
};
await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(startAt) - Date.now())));
const counts = await Promise.all([runDueJobs(database.prisma, handlers, 10_000), runDueJobs(database.prisma, handlers, 10_000)]);
console.log(JSON.stringify({ worker, ran: counts[0]! + counts[1]! }));
await database.close();
