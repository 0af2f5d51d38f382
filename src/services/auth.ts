// Sign-in: password check, lock-out after repeated failures, and the security
// events that go with it. Failed attempts are counted from the audit trail
// itself, so the limit survives restarts and holds across app instances.
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { recordEvent, type RequestContext } from "../audit/audit-log.js";
import type { Prisma, User } from "../generated/prisma/client.js";
import { decoyPasswordHash, passwordMatches } from "./users.js";

export const LOGIN_WINDOW_MINUTES = 15;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_ADDRESS = 20;

const WRONG_CREDENTIALS = "The email or password is not correct.";

async function recentFailures(db: Db, email: string, ip: string | null) {
  const rows = await db.$queryRaw<{ by_account: bigint; by_address: bigint }[]>`
    SELECT count(*) FILTER (WHERE actor_email = ${email}) AS by_account,
           count(*) FILTER (WHERE ip = ${ip}) AS by_address
    FROM audit_event
    WHERE action = 'auth.login.failed'
      -- Refusals while locked do not extend the lock-out.
      AND payload->>'reason' <> 'rate_limited'
      AND created_at > now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})
      AND (actor_email = ${email} OR ip = ${ip})`;
  return { byAccount: Number(rows[0]?.by_account ?? 0), byAddress: Number(rows[0]?.by_address ?? 0) };
}

async function recordFailure(db: Db, ctx: RequestContext, email: string, reason: "unknown_email" | "wrong_password" | "inactive" | "rate_limited", user?: User) {
  await db.$transaction((tx) =>
    recordEvent(tx, ctx, {
      action: "auth.login.failed",
      entityType: "user",
      entityId: user?.id ?? null,
      actorOverride: { email, ...(user ? { id: user.id, name: user.name, role: user.role } : {}) },
      payload: { email, reason },
    }),
  );
}

export async function signIn(db: Db, ctx: RequestContext, emailInput: string, password: string): Promise<User> {
  const email = emailInput.trim().toLowerCase();
  const failures = await recentFailures(db, email, ctx.ip);
  if (failures.byAccount >= MAX_FAILURES_PER_ACCOUNT || failures.byAddress >= MAX_FAILURES_PER_ADDRESS) {
    await recordFailure(db, ctx, email, "rate_limited");
    throw new AppError("TOO_MANY_REQUESTS", `Too many failed sign-in attempts. Wait ${LOGIN_WINDOW_MINUTES} minutes and try again.`);
  }
  const user = await db.user.findUnique({ where: { email } });
  // Verify against a decoy when the email is unknown, so timing does not reveal accounts.
  const ok = await passwordMatches(user?.passwordHash ?? (await decoyPasswordHash()), password);
  if (!user || !ok) {
    await recordFailure(db, ctx, email, user ? "wrong_password" : "unknown_email", user ?? undefined);
    throw new AppError("UNAUTHENTICATED", WRONG_CREDENTIALS);
  }
  if (!user.active) {
    await recordFailure(db, ctx, email, "inactive", user);
    throw new AppError("UNAUTHENTICATED", WRONG_CREDENTIALS);
  }
  const actorCtx = { ...ctx, actor: { id: user.id, name: user.name, email: user.email, role: user.role } };
  await db.$transaction((tx) =>
    recordEvent(tx, actorCtx, { action: "auth.login.succeeded", entityType: "user", entityId: user.id, payload: { email } }),
  );
  return user;
}

export async function recordSignOut(db: Db, ctx: RequestContext) {
  await db.$transaction((tx) => recordEvent(tx, ctx, { action: "auth.logout", entityType: "session", entityId: ctx.actor?.id ?? null, payload: {} }));
}

export async function recordSessionExpired(db: Db, ctx: RequestContext) {
  await db.$transaction((tx) => recordEvent(tx, ctx, { action: "auth.session.expired", entityType: "session", entityId: ctx.actor?.id ?? null, payload: {} }));
}

/** Wrong signature passwords in the window: re-authentication is throttled like sign-in. */
export async function recentSignatureFailures(db: Db | Prisma.TransactionClient, userId: string): Promise<number> {
  const rows = await db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM audit_event
    WHERE action = 'auth.forbidden' AND actor_id = ${userId}::uuid
      AND payload->>'reason' = 'signature password incorrect'
      AND created_at > now() - make_interval(mins => ${LOGIN_WINDOW_MINUTES})`;
  return Number(rows[0]?.n ?? 0);
}

/** Security event for a request refused as forbidden (recorded for signed-in users only). */
export async function recordForbidden(db: Db, ctx: RequestContext, method: string, path: string, reason: string) {
  await db.$transaction((tx) =>
    recordEvent(tx, ctx, { action: "auth.forbidden", entityType: "session", entityId: ctx.actor?.id ?? null, payload: { method, path, reason } }),
  );
}
