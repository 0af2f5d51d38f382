// Sign-in: an attempt is taken from the throttle (src/services/people/throttle.ts) before
// the password is checked; refusals go to the security log, not the audit trail,
// so anonymous visitors cannot write to the permanent record. A successful
// sign-in is an audit event.
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import type { User } from "../../generated/prisma/client.js";
import { decoyPasswordHash, passwordMatches } from "./users.js";
import { recordSignInRefusal } from "./security-log.js";
import { clearAttempts, giveBackAttempt, signInPerAccountAndAddress, signInPerAddress, takeAttempt, waitText } from "./throttle.js";

const WRONG_CREDENTIALS = "The email or password is not correct.";

export type SignInMethod = "password" | "password+totp" | "password+recovery_code" | "password+passkey" | "passkey"
  | "sso" | "sso+provider_mfa" | "sso+totp" | "sso+recovery_code" | "sso+passkey";

/**
 * Checks the email and password only. The sign-in itself is recorded by recordSignIn(),
 * once any second factor the person has is checked too.
 */
export async function checkPassword(db: Db, ctx: RequestContext, emailInput: string, password: string): Promise<User> {
  const email = emailInput.trim().toLowerCase();
  const address = ctx.ip ?? "unknown";
  const accountKey = `login:${email}|${address}`;
  const addressKey = `login-address:${address}`;
  const byAccount = await takeAttempt(db, accountKey, signInPerAccountAndAddress);
  const byAddress = byAccount.allowed ? await takeAttempt(db, addressKey, signInPerAddress) : byAccount;
  if (!byAccount.allowed || !byAddress.allowed) {
    if (byAccount.allowed) await giveBackAttempt(db, accountKey, signInPerAccountAndAddress);
    await recordSignInRefusal(db, ctx, email, "rate_limited");
    const wait = (byAccount.allowed ? byAddress : byAccount) as { retryAfterSeconds: number };
    throw new AppError("TOO_MANY_REQUESTS", `Too many failed sign-in attempts. Try again in ${waitText(wait.retryAfterSeconds)}.`, { retryAfterSeconds: wait.retryAfterSeconds });
  }
  const user = await db.user.findUnique({ where: { email } });
  // Verify against a decoy when the email is unknown, so timing does not reveal accounts.
  const ok = await passwordMatches(user?.passwordHash ?? (await decoyPasswordHash()), password);
  if (!user || !ok) {
    await recordSignInRefusal(db, ctx, email, user ? "wrong_password" : "unknown_email");
    throw new AppError("UNAUTHENTICATED", WRONG_CREDENTIALS);
  }
  if (!user.active) {
    await recordSignInRefusal(db, ctx, email, "inactive");
    throw new AppError("UNAUTHENTICATED", WRONG_CREDENTIALS);
  }
  await clearAttempts(db, accountKey);
  await giveBackAttempt(db, addressKey, signInPerAddress);
  return user;
}

/** A completed sign-in, with how the person proved who they are. */
export async function recordSignIn(db: Db, ctx: RequestContext, user: User, method: SignInMethod, recoveryCodesLeft?: number) {
  const actorCtx = { ...ctx, actor: { id: user.id, name: user.name, email: user.email, role: user.role } };
  await db.$transaction((tx) =>
    recordEvent(tx, actorCtx, {
      action: "auth.login.succeeded", entityType: "user", entityId: user.id,
      payload: { email: user.email, method, ...(recoveryCodesLeft !== undefined ? { recoveryCodesLeft } : {}) },
    }),
  );
}

export async function recordSignOut(db: Db, ctx: RequestContext) {
  await db.$transaction((tx) => recordEvent(tx, ctx, { action: "auth.logout", entityType: "session", entityId: ctx.actor?.id ?? null, payload: {} }));
}

export async function recordSessionExpired(db: Db, ctx: RequestContext, limit: "idle" | "absolute") {
  await db.$transaction((tx) => recordEvent(tx, ctx, { action: "auth.session.expired", entityType: "session", entityId: ctx.actor?.id ?? null, payload: { limit } }));
}

/** Security event for a request refused as forbidden (recorded for signed-in users only). */
export async function recordForbidden(db: Db, ctx: RequestContext, method: string, path: string, reason: string) {
  await db.$transaction((tx) =>
    recordEvent(tx, ctx, { action: "auth.forbidden", entityType: "session", entityId: ctx.actor?.id ?? null, payload: { method, path, reason } }),
  );
}
