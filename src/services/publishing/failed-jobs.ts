// Jobs that gave up (and jobs still retrying), described for admins, and the admin's
// Retry. A job gives up after its kind's retry policy (src/job-handlers.ts); it is never
// shown as done, and retrying it is an audited admin action.
import type { Db } from "../../db/database.js";
import type { Job, Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { can } from "../../workflow/permissions.js";
import { EMAIL_JOB, notificationKinds, type NotificationKind } from "../people/index.js";
import { SCHEDULE_JOB } from "./schedules.js";

type Tx = Prisma.TransactionClient;

const kindLabels: Record<string, string> = { [EMAIL_JOB]: "Notification e-mail", [SCHEDULE_JOB]: "Scheduled publication" };

export interface JobView {
  id: string;
  kind: string;
  kindLabel: string;
  /** What the job was for, in words: the e-mail's recipient and subject, the schedule's article and revision. */
  about: string;
  link: string | null;
  articleId: string | null;
  revisionId: string | null;
  articleTitle: string | null;
  attempts: number;
  lastError: string | null;
  failingSince: Date | null;
  gaveUpAt: Date | null;
  runAt: Date;
}

const idOf = (payload: unknown, key: string) => {
  const value = (payload as Record<string, unknown> | null)?.[key];
  return typeof value === "string" ? value : null;
};

async function describe(db: Db | Tx, jobs: Job[]): Promise<JobView[]> {
  const notificationIds = jobs.filter((j) => j.kind === EMAIL_JOB).map((j) => idOf(j.payload, "notificationId")).filter((id): id is string => !!id);
  const scheduleIds = jobs.filter((j) => j.kind === SCHEDULE_JOB).map((j) => idOf(j.payload, "scheduleId")).filter((id): id is string => !!id);
  // One after the other: inside a transaction both would share one connection.
  const notifications = notificationIds.length ? await db.notification.findMany({ where: { id: { in: notificationIds } }, include: { user: { select: { email: true } } } }) : [];
  const schedules = scheduleIds.length ? await db.publicationSchedule.findMany({ where: { id: { in: scheduleIds } }, include: { revision: { select: { number: true, title: true } } } }) : [];
  return jobs.map((job) => {
    const base = {
      id: job.id, kind: job.kind, kindLabel: kindLabels[job.kind] ?? job.kind, attempts: job.attempts, lastError: job.lastError,
      failingSince: job.failingSince, gaveUpAt: job.gaveUpAt, runAt: job.runAt, link: null, articleId: null, revisionId: null, articleTitle: null,
    };
    if (job.kind === EMAIL_JOB) {
      const n = notifications.find((x) => x.id === idOf(job.payload, "notificationId"));
      if (!n) return { ...base, about: "An e-mail for a notification that no longer exists" };
      return { ...base, about: `To ${n.user.email}: “${notificationKinds[n.kind as NotificationKind] ?? n.kind}” (${n.message})`, link: n.link, articleId: n.articleId };
    }
    if (job.kind === SCHEDULE_JOB) {
      const s = schedules.find((x) => x.id === idOf(job.payload, "scheduleId"));
      if (!s) return { ...base, about: "A schedule that no longer exists" };
      return {
        ...base, about: `${s.action === "PUBLISH" ? "Publication" : "Unpublication"} of r${s.revision.number} of “${s.revision.title}”, due ${s.runAt.toISOString().replace("T", " ").slice(0, 16)} UTC`,
        link: `/editor/articles/${s.articleId}#schedules`, articleId: s.articleId, revisionId: s.revisionId, articleTitle: s.revision.title,
      };
    }
    return { ...base, about: JSON.stringify(job.payload).slice(0, 200) };
  });
}

/** Jobs that gave up, newest first, and jobs failing now but still being retried. */
export async function jobsNeedingAttention(db: Db) {
  const [gaveUp, retrying] = await Promise.all([
    db.job.findMany({ where: { status: "GAVE_UP" }, orderBy: [{ gaveUpAt: "desc" }, { id: "asc" }], take: 200 }),
    db.job.findMany({ where: { status: "PENDING", failingSince: { not: null } }, orderBy: [{ failingSince: "asc" }, { id: "asc" }], take: 200 }),
  ]);
  return { gaveUp: await describe(db, gaveUp), retrying: await describe(db, retrying) };
}

/** How many e-mails gave up, for the outbox page. */
export function undeliveredEmailCount(db: Db) {
  return db.job.count({ where: { status: "GAVE_UP", kind: EMAIL_JOB } });
}

/**
 * Puts a job that gave up back in the queue, to run at the next worker tick with a fresh
 * retry budget. A schedule that failed because its job gave up is Scheduled again (the run
 * re-checks everything, as always). Recorded as the admin's `job.retried`.
 */
export async function retryJob(db: Db, ctx: RequestContext, user: User, jobId: string) {
  if (!can(user, "user.manage")) throw new AppError("FORBIDDEN", "Only administrators can retry jobs.");
  return db.$transaction(async (tx) => {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM job WHERE id = ${jobId}::uuid FOR UPDATE`;
    if (!locked[0]) throw new AppError("NOT_FOUND", "That job does not exist.");
    const job = await tx.job.findUniqueOrThrow({ where: { id: jobId } });
    if (job.status !== "GAVE_UP") {
      throw new AppError("CONFLICT", `This job is no longer waiting for a retry: it is ${job.status === "DONE" ? "done" : "already back in the queue"}.`);
    }
    const [view] = await describe(tx, [job]);
    if (job.kind === SCHEDULE_JOB) {
      const scheduleId = idOf(job.payload, "scheduleId");
      const reopened = scheduleId
        ? await tx.publicationSchedule.updateMany({ where: { id: scheduleId, status: { in: ["FAILED", "SCHEDULED"] } }, data: { status: "SCHEDULED", failureReason: null, finishedAt: null } })
        : { count: 0 };
      if (reopened.count !== 1) throw new AppError("CONFLICT", "The schedule this job was for was cancelled or has run; schedule the publication again instead.");
    }
    await tx.job.update({ where: { id: jobId }, data: { status: "PENDING", gaveUpAt: null, failingSince: null, attempts: 0, runAt: new Date() } });
    await recordEvent(tx, ctx, {
      action: "job.retried", entityType: "job", entityId: jobId, articleId: view!.articleId, revisionId: view!.revisionId, articleTitle: view!.articleTitle,
      payload: { jobId, kind: job.kind, kindLabel: view!.kindLabel, about: view!.about, attempts: job.attempts, lastError: job.lastError },
    });
  });
}
