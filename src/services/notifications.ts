// Notifications: a row per person in the same transaction as the change that
// caused it (the bell), plus an e-mail job on the durable queue for each person who
// wants that kind by e-mail. Nothing is sent before the change commits, and a crash
// between commit and send loses nothing: the job is still there for the next worker.
import { z } from "zod";
import type { Db } from "../db/database.js";
import type { Prisma } from "../generated/prisma/client.js";
import { AppError } from "../errors.js";
import { enqueue } from "../jobs/queue.js";

type Tx = Prisma.TransactionClient;

export const notificationKinds = {
  "review.assigned": "You are assigned to review a revision",
  "workflow.changes_requested": "A reviewer requested changes to your revision",
  "workflow.approved": "A revision was approved",
  "workflow.published": "A revision you worked on was published",
  "comment.mention": "A comment mentions you",
  "review.due_soon": "A review assigned to you is due soon",
  "review.overdue": "A review assigned to you is overdue",
  "schedule.failed": "A scheduled publication failed",
  "account.security": "A change to how you sign in to your account",
} as const;
/** Kinds sent by e-mail whatever the preference: a change to someone's sign-in they did not make must reach them. */
const alwaysEmailed: ReadonlySet<string> = new Set<NotificationKind>(["account.security"]);
export type NotificationKind = keyof typeof notificationKinds;
export const notificationKindNames = Object.keys(notificationKinds) as NotificationKind[];

export const EMAIL_JOB = "notification.email";

export interface NewNotification {
  kind: NotificationKind;
  /** Who is told; duplicates, the person who acted and inactive accounts are left out. */
  userIds: (string | null | undefined)[];
  actorId?: string | null;
  articleId?: string | null;
  message: string;
  link?: string | null;
}

export async function notify(tx: Tx, input: NewNotification) {
  const wanted = [...new Set(input.userIds.filter((id): id is string => !!id && id !== input.actorId))];
  if (!wanted.length) return;
  const users = await tx.user.findMany({ where: { id: { in: wanted }, active: true }, select: { id: true } });
  const optedOut = new Set(
    (await tx.notificationPreference.findMany({ where: { userId: { in: users.map((u) => u.id) }, kind: input.kind, email: false }, select: { userId: true } })).map((p) => p.userId),
  );
  for (const { id } of users) {
    const notification = await tx.notification.create({
      data: { userId: id, kind: input.kind, articleId: input.articleId ?? null, message: input.message.slice(0, 1000), link: input.link ?? null },
    });
    if (!optedOut.has(id) || alwaysEmailed.has(input.kind)) await enqueue(tx, EMAIL_JOB, { notificationId: notification.id });
  }
}

export function unreadCount(db: Db, userId: string) {
  return db.notification.count({ where: { userId, readAt: null } });
}

export async function notificationsScreen(db: Db, userId: string) {
  const [items, preferences] = await Promise.all([
    db.notification.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, take: 100 }),
    db.notificationPreference.findMany({ where: { userId } }),
  ]);
  const emailOff = new Set(preferences.filter((p) => !p.email).map((p) => p.kind));
  return {
    title: "Notifications",
    items,
    kinds: notificationKindNames.filter((kind) => !alwaysEmailed.has(kind)).map((kind) => ({ kind, label: notificationKinds[kind], email: !emailOff.has(kind) })),
  };
}

export async function markAllRead(db: Db, userId: string) {
  await db.notification.updateMany({ where: { userId, readAt: null }, data: { readAt: new Date() } });
}

/** The preferences form: one checkbox per kind, checked = by e-mail. */
export const emailPreferencesSchema = z.object({
  email: z.union([z.array(z.string()), z.string()]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
});

export async function saveEmailPreferences(db: Db, userId: string, input: z.infer<typeof emailPreferencesSchema>) {
  const unknown = input.email.filter((k) => !notificationKindNames.includes(k as NotificationKind));
  if (unknown.length) throw new AppError("BAD_REQUEST", `Unknown notification kind: ${unknown.slice(0, 3).join(", ").slice(0, 200)}.`);
  await db.$transaction(async (tx) => {
    for (const kind of notificationKindNames) {
      const email = input.email.includes(kind);
      await tx.notificationPreference.upsert({ where: { userId_kind: { userId, kind } }, create: { userId, kind, email }, update: { email } });
    }
  });
}
