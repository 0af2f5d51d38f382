// Notifications: a row per person in the same transaction as the change that
// caused it (the bell), plus an e-mail job on the durable queue for each person who
// wants that kind by e-mail. Nothing is sent before the change commits, and a crash
// between commit and send loses nothing: the job is still there for the next worker.
import { z } from "zod";
import type { Db } from "../../db/database.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { permissionsOf, type Permission } from "../../workflow/permissions.js";
import { AppError } from "../../errors.js";
import { enqueue } from "../../jobs/queue.js";

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
  "account.changed": "An administrator changed your account's access",
  "account.security": "A change to how you sign in to your account",
} as const;
export type NotificationKind = keyof typeof notificationKinds;
export const notificationKindNames = Object.keys(notificationKinds) as NotificationKind[];

/**
 * Kinds always sent by e-mail, even to an account just deactivated, and not offered as a
 * preference: a person must learn that their access changed (and can tell if it was not them).
 */
export const alwaysEmailedKinds: ReadonlySet<NotificationKind> = new Set(["account.changed", "account.security"]);

export function notificationSubject(kind: string): string {
  return Object.hasOwn(notificationKinds, kind) ? notificationKinds[kind as NotificationKind] : "Notification";
}

/**
 * Who can receive each kind, by the permission that makes someone a recipient (roles grant
 * permissions: src/workflow/permissions.ts). Reviewers are assigned and reminded; authors
 * (editors and admins) hear about their revisions; publishers (admins) about approvals and
 * failed schedules; anyone who comments can be mentioned. The e-mail choices offer a person
 * only the kinds their permissions let them receive.
 */
export const notificationRecipients: Record<NotificationKind, Permission[]> = {
  "review.assigned": ["workflow.review"],
  "workflow.changes_requested": ["article.edit"],
  "workflow.approved": ["article.edit", "workflow.publish"],
  "workflow.published": ["article.edit", "workflow.review"],
  "comment.mention": ["comment.write"],
  "review.due_soon": ["workflow.review"],
  "review.overdue": ["workflow.review"],
  "schedule.failed": ["workflow.publish", "article.edit"],
  // Everyone is told when their own access changes (always by e-mail, never a choice).
  "account.changed": ["comment.write"],
  "account.security": ["comment.write"],
};

type Recipient = Pick<User, "id" | "role" | "canReview" | "active">;

/** The kinds a person can receive (and so may choose to get by e-mail). */
export function kindsFor(user: Recipient): NotificationKind[] {
  const granted = permissionsOf(user);
  return notificationKindNames.filter((kind) => notificationRecipients[kind].some((p) => granted.has(p)));
}

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
  const always = alwaysEmailedKinds.has(input.kind);
  const users = await tx.user.findMany({ where: { id: { in: wanted }, ...(always ? {} : { active: true }) }, select: { id: true } });
  const optedOut = new Set(
    (await tx.notificationPreference.findMany({ where: { userId: { in: users.map((u) => u.id) }, kind: input.kind, email: false }, select: { userId: true } })).map((p) => p.userId),
  );
  for (const { id } of users) {
    const notification = await tx.notification.create({
      data: { userId: id, kind: input.kind, articleId: input.articleId ?? null, message: input.message.slice(0, 1000), link: input.link ?? null },
    });
    if (always || !optedOut.has(id)) await enqueue(tx, EMAIL_JOB, { notificationId: notification.id });
  }
}

export function unreadCount(db: Db, userId: string) {
  return db.notification.count({ where: { userId, readAt: null } });
}

/**
 * The notifications page. Opening it marks the notifications it shows as read (the list
 * is where they are read); each keeps its "New" mark on this showing. Not audited: reading
 * a notification changes nothing the trail records, as "mark all as read" never was.
 */
export async function notificationsScreen(db: Db, user: Recipient) {
  const [items, preferences] = await Promise.all([
    db.notification.findMany({ where: { userId: user.id }, orderBy: { createdAt: "desc" }, take: 100 }),
    db.notificationPreference.findMany({ where: { userId: user.id } }),
  ]);
  const shownUnread = items.filter((n) => n.readAt === null).map((n) => n.id);
  if (shownUnread.length) await db.notification.updateMany({ where: { id: { in: shownUnread }, userId: user.id, readAt: null }, data: { readAt: new Date() } });
  const emailOff = new Set(preferences.filter((p) => !p.email).map((p) => p.kind));
  return {
    title: "Notifications",
    items,
    kinds: kindsFor(user).filter((kind) => !alwaysEmailedKinds.has(kind)).map((kind) => ({ kind, label: notificationKinds[kind], email: !emailOff.has(kind) })),
  };
}

export async function markAllRead(db: Db, userId: string) {
  await db.notification.updateMany({ where: { userId, readAt: null }, data: { readAt: new Date() } });
}

/** The preferences form: one checkbox per kind, checked = by e-mail. */
export const emailPreferencesSchema = z.object({
  email: z.union([z.array(z.string()), z.string()]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
});

export async function saveEmailPreferences(db: Db, user: Recipient, input: z.infer<typeof emailPreferencesSchema>) {
  const unknown = input.email.filter((k) => !notificationKindNames.includes(k as NotificationKind));
  if (unknown.length) throw new AppError("BAD_REQUEST", `Unknown notification kind: ${unknown.slice(0, 3).join(", ").slice(0, 200)}.`, { fieldErrors: { email: "choose from the kinds listed" } });
  const offered = kindsFor(user);
  const notYours = input.email.filter((k) => !offered.includes(k as NotificationKind));
  if (notYours.length) throw new AppError("BAD_REQUEST", "You do not receive that kind of notification, so it cannot be sent to you by e-mail.");
  await db.$transaction(async (tx) => {
    for (const kind of offered) {
      const email = input.email.includes(kind);
      await tx.notificationPreference.upsert({ where: { userId_kind: { userId: user.id, kind } }, create: { userId: user.id, kind, email }, update: { email } });
    }
  });
}
