// Scheduled publishing of one named revision. Scheduling checks what publishing
// checks; when the time comes, the job checks everything again in the publishing
// transaction (still approved, every signature still valid for its content, the
// schedule not cancelled, the person who scheduled it still allowed to publish).
// If anything fails, nothing is published and the schedule is marked failed with
// the reason. The job runs exactly once: see src/jobs/queue.ts.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Prisma, ScheduleAction, ScheduleStatus, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { verbs } from "../../workflow/verbs/index.js";
import { enqueue, type ClaimedJob } from "../../jobs/queue.js";
import { guardFacts, lockRevision } from "../review/index.js";
import { toContent } from "../editorial/index.js";
import { uuid } from "../../schemas.js";
import { dayAndTime, isTimeZone, wallTimeToUtc } from "../../time.js";

type Tx = Prisma.TransactionClient;

export const SCHEDULE_JOB = "publication.run";

export const scheduleStatusLabels: Record<ScheduleStatus, string> = { SCHEDULED: "Scheduled", DONE: "Done", FAILED: "Failed", CANCELLED: "Cancelled" };

/**
 * A date and time from a datetime-local field, in the zone the browser reported in the
 * hidden `timeZone` field (filled by public/schedule-time.js); without it, UTC (the page says so).
 * Stored as the UTC instant.
 */
export const newScheduleSchema = z
  .object({
    revisionId: uuid("unknown revision"),
    action: z.enum(["PUBLISH", "UNPUBLISH"], { message: "choose publish or unpublish" }),
    runAt: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, "give a date and time (yyyy-mm-ddThh:mm)"),
    timeZone: z.string().trim().max(64).optional().default("").refine((v) => v === "" || isTimeZone(v), "not a time zone this server knows"),
    reason: z.string().trim().max(2000, "must be at most 2,000 characters").optional().default(""),
  })
  .transform((input, ctx) => {
    const timeZone = input.timeZone || "UTC";
    const runAt = wallTimeToUtc(input.runAt, timeZone);
    if (!runAt) {
      ctx.addIssue({ code: "custom", path: ["runAt"], message: "not a real date and time" });
      return z.NEVER;
    }
    if (runAt.getTime() <= Date.now()) {
      ctx.addIssue({ code: "custom", path: ["runAt"], message: `must be in the future (it is now ${dayAndTime(new Date(), timeZone)} ${timeZone})` });
      return z.NEVER;
    }
    return { ...input, runAt, timeZone };
  });
export type NewSchedule = z.infer<typeof newScheduleSchema>;

const verbFor = (action: ScheduleAction) => (action === "PUBLISH" ? verbs.publish : verbs.unpublish);

export async function createSchedule(db: Db, ctx: RequestContext, user: User, articleId: string, input: NewSchedule) {
  if (!can(user, "workflow.publish")) throw new AppError("FORBIDDEN", "Your role does not allow scheduling publications.");
  if (input.action === "UNPUBLISH" && !input.reason) throw new AppError("BAD_REQUEST", "A reason is required to schedule an unpublication.", { fieldErrors: { reason: "give the reason" } });
  return db.$transaction(async (tx) => {
    const locked = await lockRevision(tx, articleId, input.revisionId);
    if (!locked) throw new AppError("NOT_FOUND", "That revision does not exist.");
    const { revision, article } = locked;
    // What would refuse the step now refuses the schedule (an unapproved revision is never scheduled).
    // Unpublishing is checked against the revision that is live now.
    const refusal = verbFor(input.action).guard(await guardFacts(tx, user, article, revision));
    if (refusal) throw new AppError(refusal.code, refusal.reason);
    const schedule = await tx.publicationSchedule.create({
      data: { articleId, revisionId: revision.id, action: input.action, runAt: input.runAt, createdById: user.id, failureReason: null },
    });
    await enqueue(tx, SCHEDULE_JOB, { scheduleId: schedule.id, reason: input.reason }, input.runAt);
    await recordEvent(tx, ctx, {
      action: "schedule.created", entityType: "revision", entityId: revision.id, articleId, revisionId: revision.id, articleTitle: revision.title,
      comment: input.reason || null,
      payload: { scheduleId: schedule.id, scheduleAction: input.action, revisionNumber: revision.number, runAt: input.runAt.toISOString() },
    });
    return { schedule, revisionNumber: revision.number };
  });
}

/** The schedule a cancel form names, checked as the cancel itself is (for the question asked first). */
export async function scheduleToCancel(db: Db, user: User, articleId: string, scheduleId: string) {
  if (!can(user, "workflow.publish")) throw new AppError("FORBIDDEN", "Your role does not allow cancelling scheduled publications.");
  const schedule = await db.publicationSchedule.findFirst({ where: { id: scheduleId, articleId }, include: { revision: { select: { number: true } } } });
  if (!schedule) throw new AppError("NOT_FOUND", "That schedule does not exist.");
  return schedule;
}

export async function cancelSchedule(db: Db, ctx: RequestContext, user: User, articleId: string, scheduleId: string) {
  if (!can(user, "workflow.publish")) throw new AppError("FORBIDDEN", "Your role does not allow cancelling scheduled publications.");
  return db.$transaction(async (tx) => {
    const schedule = await tx.publicationSchedule.findFirst({ where: { id: scheduleId, articleId }, include: { revision: { select: { number: true, title: true } } } });
    if (!schedule) throw new AppError("NOT_FOUND", "That schedule does not exist.");
    const updated = await tx.publicationSchedule.updateMany({ where: { id: scheduleId, status: "SCHEDULED" }, data: { status: "CANCELLED", finishedAt: new Date() } });
    if (updated.count !== 1) throw new AppError("CONFLICT", `This schedule is already ${scheduleStatusLabels[schedule.status].toLowerCase()}; it can no longer be cancelled.`);
    await recordEvent(tx, ctx, {
      action: "schedule.cancelled", entityType: "revision", entityId: schedule.revisionId, articleId, revisionId: schedule.revisionId, articleTitle: schedule.revision.title,
      payload: { scheduleId, scheduleAction: schedule.action, revisionNumber: schedule.revision.number },
    });
  });
}

/** A schedule of the article, for the page that asks before cancelling it. */
export async function findArticleSchedule(db: Db, articleId: string, scheduleId: string) {
  const schedule = await db.publicationSchedule.findFirst({ where: { id: scheduleId, articleId }, include: { revision: { select: { number: true, title: true } } } });
  if (!schedule) throw new AppError("NOT_FOUND", "That schedule does not exist.");
  return schedule;
}

/**
 * Publications still scheduled for revisions older than `revisionNumber`: when a newer
 * revision is saved, they will put the older text live without the newer edits.
 */
export async function schedulesOvertakenBy(db: Db, articleId: string, revisionNumber: number) {
  return db.publicationSchedule.findMany({
    where: { articleId, status: "SCHEDULED", action: "PUBLISH", revision: { number: { lt: revisionNumber } } },
    orderBy: { runAt: "asc" }, include: { revision: { select: { number: true } } },
  });
}

const jobPayload = z.object({ scheduleId: z.string(), reason: z.string().optional().default("") });

/**
 * A scheduled publication never rolls the article back: if a newer revision went live after
 * it was scheduled, the schedule fails (an admin can still publish the older one by hand).
 */
async function newerLiveRefusal(tx: Tx, action: ScheduleAction, locked: { article: { publishedRevisionId: string | null }; revision: { number: number } }) {
  if (action !== "PUBLISH" || !locked.article.publishedRevisionId) return null;
  const live = await tx.revision.findUnique({ where: { id: locked.article.publishedRevisionId }, select: { number: true } });
  return live && live.number > locked.revision.number
    ? { code: "CONFLICT" as const, reason: `A newer revision (r${live.number}) went live after this was scheduled; publishing r${locked.revision.number} would roll it back.` }
    : null;
}

type ScheduleWithCreator = Prisma.PublicationScheduleGetPayload<{ include: { createdBy: true } }>;

/** The scheduled step is recorded as the admin who scheduled it. */
function scheduledContext(admin: User): RequestContext {
  return { actor: { id: admin.id, name: admin.name, email: admin.email, role: admin.role }, ip: null, userAgent: "scheduled publication", requestId: randomUUID() };
}

/**
 * The one way a schedule fails, whatever made it fail (a re-check refused it, or the queue
 * gave up on its job): nothing is published, the schedule is FAILED with the reason, a
 * `schedule.failed` event is written and the admin who scheduled it and the revision's
 * editor are notified, all in the caller's transaction.
 */
async function failSchedule(tx: Tx, schedule: ScheduleWithCreator, failureReason: string, now: Date) {
  const revision = await tx.revision.findUnique({ where: { id: schedule.revisionId }, select: { number: true, title: true } });
  await tx.publicationSchedule.update({ where: { id: schedule.id }, data: { status: "FAILED", failureReason, finishedAt: now } });
  await recordEvent(tx, scheduledContext(schedule.createdBy), {
    action: "schedule.failed", entityType: "revision", entityId: schedule.revisionId, articleId: schedule.articleId, revisionId: schedule.revisionId,
    articleTitle: revision?.title ?? null,
    payload: { scheduleId: schedule.id, scheduleAction: schedule.action, revisionNumber: revision?.number ?? null, reason: failureReason },
  });
}

/** Locks a schedule that is still waiting to run; null when it is gone or no longer Scheduled. */
async function lockWaitingSchedule(tx: Tx, scheduleId: string): Promise<ScheduleWithCreator | null> {
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM publication_schedule WHERE id = ${scheduleId}::uuid FOR UPDATE`;
  if (!rows[0]) return null;
  const schedule = await tx.publicationSchedule.findUniqueOrThrow({ where: { id: scheduleId }, include: { createdBy: true } });
  return schedule.status === "SCHEDULED" ? schedule : null;
}

/** The job: runs one schedule inside the worker's transaction (which also marks the job done). */
export async function runScheduleJob(tx: Tx, job: ClaimedJob) {
  const { scheduleId, reason } = jobPayload.parse(job.payload);
  const schedule = await lockWaitingSchedule(tx, scheduleId);
  if (!schedule) return; // cancelled (or already run): nothing to do
  const admin = schedule.createdBy;
  const ctx = scheduledContext(admin);
  const now = new Date();
  const verb = verbFor(schedule.action);
  const locked = await lockRevision(tx, schedule.articleId, schedule.revisionId);
  const facts = locked ? await guardFacts(tx, admin, locked.article, locked.revision) : null;
  const refusal = facts ? (verb.guard(facts) ?? (await newerLiveRefusal(tx, schedule.action, locked!))) : { code: "NOT_FOUND" as const, reason: "The revision no longer exists." };
  if (refusal || !locked || !facts) {
    await failSchedule(tx, schedule, refusal?.reason ?? "The revision no longer exists.", now);
    return;
  }
  const comment = schedule.action === "PUBLISH" ? `Scheduled publication${reason ? `: ${reason}` : ""}` : reason || "Scheduled unpublication";
  await verb.apply({ tx, ctx, facts, revision: locked.revision, content: toContent(locked.revision), input: { comment, password: "", meaning: "", overrideReason: "" }, now });
  await tx.publicationSchedule.update({ where: { id: scheduleId }, data: { status: "DONE", finishedAt: now } });
}

const shortError = (error: string) => (error.length > 300 ? `${error.slice(0, 299)}…` : error);

/** In the transaction that marks a schedule's job as given up: the schedule fails with it. */
export async function scheduleJobGaveUp(tx: Tx, job: ClaimedJob & { failingSince: Date }, lastError: string) {
  const parsed = jobPayload.safeParse(job.payload);
  if (!parsed.success) return;
  const schedule = await lockWaitingSchedule(tx, parsed.data.scheduleId);
  if (!schedule) return;
  const minutes = Math.max(1, Math.round((Date.now() - job.failingSince.getTime()) / 60_000));
  await failSchedule(tx, schedule, `It could not be carried out: ${job.attempts} attempts over ${minutes} minute(s) failed (last error: ${shortError(lastError)}). Publish it by hand, schedule it again, or retry it from Jobs that gave up.`, new Date());
}

/**
 * A schedule past its time whose job is no longer waiting (it gave up before schedules
 * failed with their jobs, or was removed) would say "Scheduled" forever: fail it through the
 * same path. Run on every worker tick; returns how many it failed.
 */
export async function failStrandedSchedules(db: Db, graceMs = 10 * 60_000): Promise<number> {
  const stranded = await db.$queryRaw<{ id: string }[]>`
    SELECT s.id::text AS id FROM publication_schedule s
    WHERE s.status = 'SCHEDULED' AND s.run_at < ${new Date(Date.now() - graceMs)}
      AND NOT EXISTS (SELECT 1 FROM job j WHERE j.kind = ${SCHEDULE_JOB} AND j.status = 'PENDING' AND j.payload->>'scheduleId' = s.id::text)`;
  let failed = 0;
  for (const { id } of stranded) {
    const done = await db.$transaction(async (tx) => {
      const schedule = await lockWaitingSchedule(tx, id);
      if (!schedule) return false;
      const jobs = await tx.$queryRaw<{ status: string; last_error: string | null }[]>`
        SELECT status::text AS status, last_error FROM job WHERE kind = ${SCHEDULE_JOB} AND payload->>'scheduleId' = ${id} ORDER BY created_at DESC`;
      if (jobs.some((j) => j.status === "PENDING")) return false;
      const lastError = jobs.find((j) => j.last_error)?.last_error;
      await failSchedule(tx, schedule, `Its job stopped without carrying it out${lastError ? ` (last error: ${shortError(lastError)})` : ""}. Publish it by hand or schedule it again.`, new Date());
      return true;
    });
    if (done) failed++;
  }
  return failed;
}

const scheduleInclude = { revision: { select: { number: true, title: true } }, createdBy: { select: { name: true } } } as const;

export async function articleSchedules(db: Db, articleId: string) {
  return db.publicationSchedule.findMany({ where: { articleId }, orderBy: [{ runAt: "desc" }], take: 20, include: scheduleInclude });
}

/** Upcoming schedules and failures of the last 30 days, for the dashboard. */
