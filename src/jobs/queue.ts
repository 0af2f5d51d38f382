// A durable job queue in the application's own database (see
// docs/decisions/0014-durable-job-queue.md). enqueue() writes a row in the caller's
// transaction, so the work exists if and only if the change that asked for it
// committed. A worker claims one due row with FOR UPDATE SKIP LOCKED and runs its
// handler in that same transaction, marking the row done before commit: a job whose
// database work commits is never run again, one whose process dies mid-way is
// released by the rollback and run by the next worker, and two workers never hold
// the same row. A failing job is retried with capped back-off per its kind's
// RetryPolicy, then gives up (a status of its own, never "done"; decision 0026).
import type { Db } from "../db/database.js";
import type { Prisma } from "../generated/prisma/client.js";
import { createLogger } from "../logging.js";

type Tx = Prisma.TransactionClient;

export interface ClaimedJob {
  id: string;
  kind: string;
  payload: unknown;
  attempts: number;
}

export type JobHandler = (tx: Tx, job: ClaimedJob) => Promise<void>;

/**
 * How long a kind of job keeps trying: the wait after the n-th failure in a row is
 * firstDelayMs × 2^(n-1), at most maxDelayMs; once failures have lasted giveUpAfterMs the
 * job gives up (status GAVE_UP, listed for admins at /admin/jobs, logged at warn level).
 */
export interface RetryPolicy {
  firstDelayMs: number;
  maxDelayMs: number;
  giveUpAfterMs: number;
}

/** For kinds that state no policy of their own: an outage of up to two days loses nothing. */
export const DEFAULT_RETRY: RetryPolicy = { firstDelayMs: 2_000, maxDelayMs: 3_600_000, giveUpAfterMs: 2 * 86_400_000 };

export interface JobDefinition {
  run: JobHandler;
  retry?: RetryPolicy;
  /**
   * Runs in the transaction that marks the job as given up, so what the job was for
   * (a schedule) reaches its end state together with the job, or neither does.
   */
  gaveUp?: (tx: Tx, job: ClaimedJob & { failingSince: Date }, lastError: string) => Promise<void>;
}

export type JobHandlers = Record<string, JobHandler | JobDefinition>;

/** What the queue writes to the log; a pino logger fits. */
export interface JobLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RunOptions {
  logger?: JobLogger;
}

let defaultLogger: JobLogger | undefined;
const loggerOf = (options: RunOptions) =>
  options.logger ?? (defaultLogger ??= createLogger({ level: process.env.NODE_ENV === "test" ? "silent" : undefined }));

const definitionOf = (handlers: JobHandlers, kind: string): JobDefinition | undefined => {
  const entry = handlers[kind];
  return typeof entry === "function" ? { run: entry } : entry;
};

/** The wait before the next try after `failures` failures in a row. */
export function retryDelayMs(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.max(0, failures - 1), policy.maxDelayMs);
}

export async function enqueue(tx: Tx, kind: string, payload: Prisma.InputJsonValue, runAt: Date = new Date()) {
  return tx.job.create({ data: { kind, payload, runAt } });
}

/** Claims and runs one due job; false when none is due (or all due ones are held by other workers). */
export async function runOneJob(db: Db, handlers: JobHandlers, options: RunOptions = {}): Promise<boolean> {
  let failed: { job: ClaimedJob; error: string } | null = null;
  const ran = await db
    .$transaction(async (tx) => {
      const rows = await tx.$queryRaw<ClaimedJob[]>`
        SELECT id::text AS id, kind, payload, attempts FROM job
        WHERE status = 'PENDING' AND run_at <= clock_timestamp()
        ORDER BY run_at, id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`;
      const job = rows[0];
      if (!job) return false;
      const definition = definitionOf(handlers, job.kind);
      try {
        if (!definition) throw new Error(`no handler for job kind "${job.kind}"`);
        await definition.run(tx, job);
      } catch (error) {
        failed = { job, error: (error as Error)?.message ?? String(error) };
        throw error;
      }
      await tx.job.update({ where: { id: job.id }, data: { status: "DONE", doneAt: new Date(), attempts: { increment: 1 }, failingSince: null } });
      return true;
    })
    .catch(async (error: unknown) => {
      if (!failed) throw error;
      // The handler's work rolled back; record the failure, and retry later or give up.
      await recordFailure(db, definitionOf(handlers, (failed as { job: ClaimedJob }).job.kind), failed, loggerOf(options));
      return true;
    });
  return ran;
}

async function recordFailure(db: Db, definition: JobDefinition | undefined, failed: { job: ClaimedJob; error: string }, logger: JobLogger) {
  const { job } = failed;
  const lastError = failed.error.slice(0, 2000);
  const policy = definition?.retry ?? DEFAULT_RETRY;
  try {
    const outcome = await db.$transaction(async (tx) => {
      // Another worker (or an admin) may have moved the job on meanwhile: only a pending job is updated.
      const rows = await tx.$queryRaw<{ attempts: number; failing_since: Date | null }[]>`
        SELECT attempts, failing_since FROM job WHERE id = ${job.id}::uuid AND status = 'PENDING' FOR UPDATE`;
      const row = rows[0];
      if (!row) return null;
      const now = new Date();
      const attempts = row.attempts + 1;
      const failingSince = row.failing_since ?? now;
      if (now.getTime() - failingSince.getTime() >= policy.giveUpAfterMs) {
        await tx.job.update({ where: { id: job.id }, data: { status: "GAVE_UP", gaveUpAt: now, attempts, lastError, failingSince } });
        await definition?.gaveUp?.(tx, { ...job, attempts, failingSince }, lastError);
        return { gaveUp: true, attempts, failingSince };
      }
      await tx.job.update({ where: { id: job.id }, data: { attempts, lastError, failingSince, runAt: new Date(now.getTime() + retryDelayMs(policy, attempts)) } });
      return { gaveUp: false, attempts, failingSince };
    });
    if (outcome?.gaveUp) {
      logger.warn(
        { jobId: job.id, kind: job.kind, attempts: outcome.attempts, failingSince: outcome.failingSince.toISOString(), lastError },
        `A queued job (${job.kind}) gave up after ${outcome.attempts} failed attempts; an admin can retry it at /admin/jobs`,
      );
    }
  } catch (error) {
    // Giving up (or recording the failure) failed too: keep the job pending and try it all again later.
    logger.error({ jobId: job.id, kind: job.kind, lastError, error: (error as Error)?.message ?? String(error) }, "A queued job's failure could not be recorded; it will be tried again");
    await db.job
      .updateMany({ where: { id: job.id, status: "PENDING" }, data: { attempts: { increment: 1 }, lastError, runAt: new Date(Date.now() + policy.maxDelayMs) } })
      .catch(() => {});
  }
}

/** Runs due jobs until none is left (or `max` ran). Returns how many ran. */
export async function runDueJobs(db: Db, handlers: JobHandlers, max = 100, options: RunOptions = {}): Promise<number> {
  let count = 0;
  while (count < max && (await runOneJob(db, handlers, options))) count++;
  return count;
}

/**
 * Runs due jobs now (jobs that fell due while the app was stopped run at start),
 * then every `intervalMs`. Ticks never overlap. stop() waits for a running tick.
 */
export function startJobRunner(
  db: Db, handlers: JobHandlers,
  options: RunOptions & { intervalMs?: number; onError?: (error: unknown) => void; /** Checks that may enqueue work (e.g. review reminders), run before each tick. */ periodic?: ((db: Db) => Promise<unknown>)[] } = {},
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
      await runDueJobs(db, handlers, 100, options);
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
