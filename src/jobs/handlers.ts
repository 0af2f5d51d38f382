// Every kind of job the queue runs, and the module that does it.
import { z } from "zod";
import type { JobHandlers } from "./queue.js";
import type { Mailer } from "./mailer.js";
import { SCHEDULE_JOB, runScheduleJob } from "../services/schedules.js";
import { EMAIL_JOB, notificationKinds, type NotificationKind } from "../services/notifications.js";
import { QUESTION_EMAIL_JOB, sendQuestionAnsweredEmail } from "../services/reader-questions.js";

const emailPayload = z.object({ notificationId: z.string() });

export function createJobHandlers(deps: { mailer: Mailer; /** The site's address, for links in e-mail. */ publicUrl?: string }): JobHandlers {
  return {
    [SCHEDULE_JOB]: runScheduleJob,
    // A reader asked to be told once; the address is deleted in the same transaction.
    [QUESTION_EMAIL_JOB]: async (tx, job) => {
      const { emailId } = z.object({ emailId: z.string() }).parse(job.payload);
      await sendQuestionAnsweredEmail(tx, emailId, (mail) => deps.mailer.send(mail), deps.publicUrl ?? "");
    },
    // Sent while the job row is held; the row is marked done in the same transaction,
    // so a sent message is never sent again unless the process dies between the two.
    [EMAIL_JOB]: async (tx, job) => {
      const { notificationId } = emailPayload.parse(job.payload);
      const n = await tx.notification.findUnique({ where: { id: notificationId }, include: { user: { select: { email: true, active: true } } } });
      if (!n || !n.user.active) return;
      const subject = notificationKinds[n.kind as NotificationKind] ?? "Notification";
      const base = deps.publicUrl ?? "";
      const text = `${n.message}\n\n${n.link ? `Open: ${base}${n.link}\n\n` : ""}You can choose which notifications you receive by e-mail at ${base}/editor/notifications.\n`;
      await deps.mailer.send({ id: n.id, to: n.user.email, subject: `Clinical Answers: ${subject}`, text });
    },
  };
}
