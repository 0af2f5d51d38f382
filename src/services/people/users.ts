// Accounts: creation, changes, deactivation. Passwords are hashed with argon2id.
import { hash, verify } from "@node-rs/argon2";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import type { Prisma, Role, User } from "../../generated/prisma/client.js";
import { notify } from "./notifications.js";

export const roles = ["EDITOR", "REVIEWER", "ADMIN"] as const;
export const roleLabels: Record<Role, string> = { EDITOR: "Editor", REVIEWER: "Reviewer", ADMIN: "Admin" };

export const passwordSchema = z.string().min(12, "must be at least 12 characters").max(200, "must be at most 200 characters");

export const newUserSchema = z.object({
  email: z.string().trim().toLowerCase().email("must be an email address").max(200),
  name: z.string().trim().min(2, "must be at least 2 characters").max(120),
  role: z.enum(roles, { message: "choose editor, reviewer or admin" }),
  credentials: z.string().trim().max(200).nullish().transform((v) => (v ? v : null)),
  canReview: z.boolean().default(false),
  password: passwordSchema,
});
export type NewUser = z.input<typeof newUserSchema>;

export function hashPassword(password: string): Promise<string> {
  return hash(password);
}

export async function passwordMatches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A hash of nothing useful, verified when the email is unknown so that a wrong
// email and a wrong password take the same time.
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hash("decoy-password-that-matches-nothing");
  return decoyHash;
}

export function userSnapshot(user: User) {
  return { email: user.email, name: user.name, role: user.role, credentials: user.credentials, canReview: user.canReview, active: user.active };
}

/** `passwordHash`: the password's argon2 hash when the caller already computed it (several accounts hashed in parallel). */
export async function createUser(db: Db, ctx: RequestContext, input: NewUser, hashed?: { passwordHash: Promise<string> }): Promise<User> {
  const data = newUserSchema.parse(input);
  const passwordHash = await (hashed?.passwordHash ?? hashPassword(data.password));
  return db.$transaction(async (tx) => {
    if (await tx.user.findUnique({ where: { email: data.email } })) {
      throw new AppError("CONFLICT", `A user with the email ${data.email} already exists.`, { fieldErrors: { email: "already used" } });
    }
    const user = await tx.user.create({
      data: { email: data.email, name: data.name, role: data.role, credentials: data.credentials, canReview: data.canReview, passwordHash },
    });
    await recordEvent(tx, ctx, { action: "user.created", entityType: "user", entityId: user.id, payload: { user: userSnapshot(user) } });
    return user;
  });
}

/** Reviewers (and admins with reviewer rights) for the advisory board page. */
/** Every account, active ones first, for the users page. */
/** Everyone, for the users page: profile fields only (never the password hash). */
export function listUsers(db: Db) {
  return db.user.findMany({
    orderBy: [{ active: "desc" }, { name: "asc" }],
    select: { id: true, email: true, name: true, role: true, credentials: true, canReview: true, active: true },
  });
}

export function listBoardMembers(db: Db) {
  return db.user.findMany({
    where: { active: true, OR: [{ role: "REVIEWER" }, { role: "ADMIN", canReview: true }] },
    orderBy: { name: "asc" },
    select: { id: true, name: true, credentials: true },
  });
}

export const userChangesSchema = z.object({
  name: z.string().trim().min(2, "must be at least 2 characters").max(120),
  role: z.enum(roles, { message: "choose editor, reviewer or admin" }),
  credentials: z.string().trim().max(200).optional().transform((v) => (v ? v : null)),
  canReview: z.union([z.literal("on"), z.literal("true"), z.boolean()]).optional().transform((v) => v === "on" || v === "true" || v === true),
});

/** Changes a user's profile or role; role changes get their own event. */
export async function updateUser(db: Db, ctx: RequestContext, actorId: string, userId: string, input: z.infer<typeof userChangesSchema>) {
  return db.$transaction(async (tx) => {
    // Locked, so concurrent edits queue and each event records the value it really replaced.
    await tx.$queryRaw`SELECT id FROM app_user WHERE id = ${userId}::uuid FOR UPDATE`;
    const user = await tx.user.findUnique({ where: { id: userId } });
    if (!user) throw new AppError("NOT_FOUND", "That user does not exist.");
    if (user.id === actorId && input.role !== "ADMIN") throw new AppError("CONFLICT", "You cannot remove your own admin role; ask another admin.");
    const changes: Record<string, { old: unknown; new: unknown }> = {};
    for (const field of ["name", "credentials", "canReview"] as const) {
      if (user[field] !== input[field]) changes[field] = { old: user[field], new: input[field] };
    }
    const roleChanged = user.role !== input.role;
    if (roleChanged && user.role === "ADMIN") await assertAnotherAdminRemains(tx, userId);
    if (!roleChanged && !Object.keys(changes).length) throw new AppError("BAD_REQUEST", "Nothing was changed.");
    const updated = await tx.user.update({ where: { id: userId }, data: input });
    if (Object.keys(changes).length) await recordEvent(tx, ctx, { action: "user.changed", entityType: "user", entityId: userId, payload: { changes } });
    if (roleChanged) await recordEvent(tx, ctx, { action: "user.role.changed", entityType: "user", entityId: userId, payload: { old: user.role, new: input.role } });
    return updated;
  });
}

const ADMIN_CHANGE_LOCK = 72_616_003;

/** Refuses a change that would leave no active admin. Serialized, so two admins cannot demote each other at once. */
async function assertAnotherAdminRemains(tx: Prisma.TransactionClient, leavingUserId: string) {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ADMIN_CHANGE_LOCK}::bigint)`;
  const others = await tx.user.count({ where: { role: "ADMIN", active: true, id: { not: leavingUserId } } });
  const leaving = await tx.user.findUnique({ where: { id: leavingUserId }, select: { role: true, active: true } });
  if (leaving?.role === "ADMIN" && leaving.active && others === 0) {
    throw new AppError("CONFLICT", "This is the last active admin; make someone else an admin first.");
  }
}

/**
 * Ends a person's access in `tx`: deletes their sessions and revokes their API tokens, each
 * revocation an audit event in the same transaction. A revoked token never works again, so
 * reactivating the account does not bring its tokens back (the owner creates new ones).
 */
async function endAccess(tx: Prisma.TransactionClient, ctx: RequestContext, userId: string, reason: string) {
  const sessions = await tx.session.deleteMany({ where: { userId } });
  if (sessions.count) await recordEvent(tx, ctx, { action: "auth.session.revoked", entityType: "session", entityId: userId, payload: { reason, sessions: sessions.count } });
  const tokens = await revokeTokensOf(tx, ctx, userId, reason);
  return { sessionsEnded: sessions.count, tokensRevoked: tokens };
}

async function revokeTokensOf(tx: Prisma.TransactionClient, ctx: RequestContext, userId: string, reason: string) {
  const tokens = await tx.apiToken.findMany({ where: { userId, revokedAt: null }, orderBy: { createdAt: "asc" } });
  if (!tokens.length) return 0;
  await tx.apiToken.updateMany({ where: { id: { in: tokens.map((t) => t.id) } }, data: { revokedAt: new Date() } });
  for (const token of tokens) {
    await recordEvent(tx, ctx, { action: "api_token.revoked", entityType: "api_token", entityId: token.id, payload: { tokenId: token.id, name: token.name, prefix: token.prefix, reason } });
  }
  return tokens.length;
}

/** What deactivating an account or setting its password ends, shown on the users page before the admin confirms. */
export async function accessSummaries(db: Db) {
  const now = new Date();
  const [sessions, tokens] = await Promise.all([
    db.session.groupBy({ by: ["userId"], where: { expiresAt: { gt: now } }, _count: { _all: true } }),
    db.apiToken.groupBy({ by: ["userId"], where: { revokedAt: null }, _count: { _all: true } }),
  ]);
  const summary = new Map<string, { sessions: number; tokens: number }>();
  for (const s of sessions) if (s.userId) summary.set(s.userId, { sessions: s._count._all, tokens: 0 });
  for (const t of tokens) summary.set(t.userId, { sessions: summary.get(t.userId)?.sessions ?? 0, tokens: t._count._all });
  return summary;
}

/**
 * An admin sets a new password for a user (e.g. a forgotten one, or a suspected break-in):
 * it ends the user's sessions and revokes their API tokens, and tells them (in the app and
 * by e-mail), all in one transaction with the audit events.
 */
export async function resetPassword(db: Db, ctx: RequestContext, userId: string, password: string) {
  const passwordHash = await hashPassword(passwordSchema.parse(password));
  return db.$transaction(async (tx) => {
    const updated = await tx.user.updateMany({ where: { id: userId }, data: { passwordHash } });
    if (updated.count !== 1) throw new AppError("NOT_FOUND", "That user does not exist.");
    await recordEvent(tx, ctx, { action: "user.password.reset", entityType: "user", entityId: userId, payload: await peekAccess(tx, userId) });
    const ended = await endAccess(tx, ctx, userId, "an administrator set a new password");
    await notify(tx, {
      kind: "account.changed", userIds: [userId], actorId: ctx.actor?.id ?? null, link: "/account/tokens",
      message: `${ctx.actor?.name ?? "An administrator"} set a new password for your account. ` +
        `Your sessions were ended (${ended.sessionsEnded}) and your API tokens revoked (${ended.tokensRevoked}): sign in with the new password and create new tokens where you need them. ` +
        "If you did not ask for this, tell an administrator.",
    });
  });
}

async function peekAccess(tx: Prisma.TransactionClient, userId: string) {
  const [sessionsEnded, tokensRevoked] = await Promise.all([tx.session.count({ where: { userId } }), tx.apiToken.count({ where: { userId, revokedAt: null } })]);
  return { sessionsEnded, tokensRevoked };
}

/**
 * Deactivating a user ends all their sessions and revokes their API tokens at once, and
 * tells them by e-mail; history keeps their name. Reactivating does not bring tokens back.
 */
export async function setUserActive(db: Db, ctx: RequestContext, actorId: string, userId: string, active: boolean) {
  if (userId === actorId && !active) throw new AppError("CONFLICT", "You cannot deactivate your own account.");
  return db.$transaction(async (tx) => {
    if (!active) await assertAnotherAdminRemains(tx, userId);
    const updated = await tx.user.updateMany({ where: { id: userId, active: !active }, data: { active } });
    if (updated.count !== 1) {
      if (!(await tx.user.findUnique({ where: { id: userId } }))) throw new AppError("NOT_FOUND", "That user does not exist.");
      throw new AppError("CONFLICT", active ? "That user is already active." : "That user is already deactivated.");
    }
    if (active) {
      // Tokens left unrevoked by a deactivation from before deactivation revoked them must not come back either.
      await recordEvent(tx, ctx, { action: "user.reactivated", entityType: "user", entityId: userId, payload: { tokensRevoked: (await peekAccess(tx, userId)).tokensRevoked } });
      await revokeTokensOf(tx, ctx, userId, "tokens do not survive a deactivation");
    } else {
      await recordEvent(tx, ctx, { action: "user.deactivated", entityType: "user", entityId: userId, payload: await peekAccess(tx, userId) });
      const ended = await endAccess(tx, ctx, userId, "user deactivated");
      await notify(tx, {
        kind: "account.changed", userIds: [userId], actorId: ctx.actor?.id ?? null,
        message: `${ctx.actor?.name ?? "An administrator"} deactivated your account. You can no longer sign in; ` +
          `your sessions were ended (${ended.sessionsEnded}) and your API tokens revoked (${ended.tokensRevoked}). ` +
          "If your account is reactivated, create new tokens: the old ones stay revoked. If this is unexpected, contact an administrator.",
      });
    }
  });
}
