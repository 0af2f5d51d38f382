// A durable job queue in the application's own database (see
// docs/decisions/0014-durable-job-queue.md). enqueue() writes a row in the caller's
// transaction, so the work exists if and only if the change that asked for it
// committed. A worker claims one due row with FOR UPDATE SKIP LOCKED and runs its
// handler in that same transaction, marking the row done before commit: a job whose
// database work commits is never run again, one whose process dies mid-way is
// released by the rollback and run by the next worker, and two workers never hold
// the same row.
import type { Db } from "../db/database.js";
import type { Prisma } from "../generated/prisma/client.js";

type Tx = Prisma.TransactionClient;

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
}

export type JobHandler = (tx: Tx, job: ClaimedJob) => Promise<void>;
export type JobHandlers = Record<string, JobHandler>;

/** After this many failures a job is set aside (done, with its last error) rather than retried forever. */
export const MAX_ATTEMPTS = 5;

export async function enqueue(tx: Tx, kind: string, payload: Prisma.InputJsonValue, runAt: Date = new Date()) {
  return tx.job.create({ data: { kind, payload, runAt } });
}

/** Claims and runs one due job; false when none is due (or all due ones are held by other workers). */
export async function runOneJob(db: Db, handlers: JobHandlers): Promise<boolean> {
  let failed: { id: string; attempts: number; error: string } | null = null;
  const ran = await db
    .$transaction(async (tx) => {
      const rows = await tx.$queryRaw<ClaimedJob[]>`
        SELECT id::text AS id, kind, payload, attempts FROM job
        WHERE done_at IS NULL AND run_at <= clock_timestamp()
        ORDER BY run_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`;
      const job = rows[0];
      if (!job) return false;
      const handler = handlers[job.kind];
      try {
        if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
        await handler(tx, job);
      } catch (error) {
        failed = { id: job.id, attempts: job.attempts, error: (error as Error)?.message ?? String(error) };
        throw error;
      }
      await tx.job.update({ where: { id: job.id }, data: { doneAt: new Date(), attempts: { increment: 1 } } });
      return true;
    })
    .catch(async (error: unknown) => {
      if (!failed) throw error;
      // The handler's work rolled back; record the failure and try again later, with back-off.
      const { id, attempts, error: message } = failed as { id: string; attempts: number; error: string };
      const next = attempts + 1;
      await db.job.update({
        where: { id },
        data: { attempts: next, lastError: message.slice(0, 2000), runAt: new Date(Date.now() + 2 ** next * 1000), doneAt: next >= MAX_ATTEMPTS ? new Date() : null },
      });
      return true;
    });
  return ran;
}

/** Runs due jobs until none is left (or `max` ran). Returns how many ran. */
export async function runDueJobs(db: Db, handlers: JobHandlers, max = 100): Promise<number> {
  let count = 0;
  while (count < max && (await runOneJob(db, handlers))) count++;
  return count;
}

/**
 * Runs due jobs now (jobs that fell due while the app was stopped run at start),
 * then every `intervalMs`. Ticks never overlap. stop() waits for a running tick.
 */
export function startJobRunner(
  db: Db, handlers: JobHandlers,
  options: { intervalMs?: number; onError?: (error: unknown) => void; /** Checks that may enqueue work (e.g. review reminders), run before each tick. */ periodic?: ((db: Db) => Promise<void>)[] } = {},
) {
  const onError = options.onError ?? (() => {});
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  let stopped = false;
  const tick = () => {
    if (busy || stopped) return running;
    busy = true;
    running = (async () => {
      for (const check of options.periodic ?? []) await check(db).catch(onError);
      await runDueJobs(db, handlers);
    })()
      .catch(onError)
      .finally(() => {
        busy = false;
      });
    return running;
  };
  const first = tick();
  const timer = setInterval(() => void tick(), options.intervalMs ?? 5000);
  timer.unref();
  return {
    /** Resolves when the start-up run has finished. */
    started: first.then(() => undefined),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
