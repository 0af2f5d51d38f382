// Every kind of job the queue runs: the module that does it, how long it keeps trying
// when it fails, and what happens when it gives up. The retry policies live here and
// nowhere else (decision 0026).
import { z } from "zod";
import type { JobHandlers, RetryPolicy } from "./jobs/queue.js";
import type { Mailer } from "./jobs/mailer.js";
import { SCHEDULE_JOB, runScheduleJob, scheduleJobGaveUp } from "./services/publishing/index.js";
import { QUESTION_EMAIL_JOB, sendQuestionAnsweredEmail } from "./services/readers/index.js";
import { EMAIL_JOB, alwaysEmailedKinds, notificationSubject, type NotificationKind } from "./services/people/index.js";

const HOUR = 3_600_000;

export const retryPolicies = {
  /** An SMTP server or outbox folder down for up to two days loses no e-mail; retries at most hourly. */
  [EMAIL_JOB]: { firstDelayMs: 2_000, maxDelayMs: HOUR, giveUpAfterMs: 48 * HOUR },
  /**
   * A publication should not go out hours after its time without anyone deciding so: after
   * an hour of failures the schedule fails, its admin and editor are told, and an admin can
   * retry it from /admin/jobs or schedule it again.
   */
  [SCHEDULE_JOB]: { firstDelayMs: 2_000, maxDelayMs: 5 * 60_000, giveUpAfterMs: HOUR },
} satisfies Record<string, RetryPolicy>;

const emailPayload = z.object({ notificationId: z.string() });

/** The subject line of a notification's e-mail. */
export const emailSubject = (kind: string) => `Clinical Answers: ${notificationSubject(kind)}`;

export function createJobHandlers(deps: { mailer: Mailer; /** The site's address, for links in e-mail. */ publicUrl?: string }): JobHandlers {
  return {
    [SCHEDULE_JOB]: { run: runScheduleJob, retry: retryPolicies[SCHEDULE_JOB], gaveUp: scheduleJobGaveUp },
    // A reader asked to be told once; the address is deleted in the same transaction.
    [QUESTION_EMAIL_JOB]: {
      retry: retryPolicies[EMAIL_JOB],
      run: async (tx, job) => {
        const { emailId } = z.object({ emailId: z.string() }).parse(job.payload);
        await sendQuestionAnsweredEmail(tx, emailId, (mail) => deps.mailer.send(mail), deps.publicUrl ?? "");
      },
    },
    [EMAIL_JOB]: {
      retry: retryPolicies[EMAIL_JOB],
      // Sent while the job row is held; the row is marked done in the same transaction,
      // so a sent message is never sent again unless the process dies between the two.
      run: async (tx, job) => {
        const { notificationId } = emailPayload.parse(job.payload);
        const n = await tx.notification.findUnique({ where: { id: notificationId }, include: { user: { select: { email: true, active: true } } } });
        // A deactivated person gets no mail, except the notice that their access changed.
        if (!n || (!n.user.active && !alwaysEmailedKinds.has(n.kind as NotificationKind))) return;
        const base = deps.publicUrl ?? "";
        const text = `${n.message}\n\n${n.link ? `Open: ${base}${n.link}\n\n` : ""}You can choose which notifications you receive by e-mail at ${base}/editor/notifications.\n`;
        await deps.mailer.send({ id: n.id, to: n.user.email, subject: emailSubject(n.kind), text });
      },
    },
  };
}
