// The security log: failed sign-ins by people who are not signed in. It is kept
// apart from the hash-chained audit trail on purpose: anyone on the internet can
// cause these rows, so they must neither grow the permanent record nor take the
// chain's lock (which every editorial change waits for). Rows are plain inserts,
// pruned after SECURITY_LOG_RETENTION_DAYS. Signed-in users' refused attempts
// (forbidden pages, wrong signature passwords) stay in the audit trail.
import type { Db } from "../../db/database.js";
import type { RequestContext } from "../../audit/audit-log.js";

export type SignInRefusal = "unknown_email" | "wrong_password" | "inactive" | "rate_limited";

/** Why a second factor was refused after a correct password (or a passkey alone). */
export type SecondFactorRefusal = "wrong_code" | "reused_code" | "wrong_recovery_code" | "passkey_refused" | "rate_limited" | "expired";

export async function recordSignInRefusal(db: Db, ctx: RequestContext, email: string, reason: SignInRefusal): Promise<void> {
  await db.securityLog.create({
    data: { event: "auth.login.failed", email: email.slice(0, 200), ip: ctx.ip, userAgent: ctx.userAgent, requestId: ctx.requestId, reason },
  });
}

/**
 * A refused second factor: the password may have been right (the person is not signed in yet),
 * so it is a security-log row, never an audit event, like failed passwords.
 */
export async function recordSecondFactorRefusal(db: Db, ctx: RequestContext, email: string | null, reason: SecondFactorRefusal): Promise<void> {
  await db.securityLog.create({
    data: { event: "auth.second_factor.failed", email: email?.slice(0, 200) ?? null, ip: ctx.ip, userAgent: ctx.userAgent, requestId: ctx.requestId, reason },
  });
}

/** Why a single sign-on was refused (the identity provider's answer, or what it said about the person). */
export type SsoRefusal = "invalid_response" | "provider_error" | "email_not_verified" | "unknown_email" | "inactive" | "expired";

export async function recordSsoRefusal(db: Db, ctx: RequestContext, email: string | null, reason: SsoRefusal): Promise<void> {
  await db.securityLog.create({
    data: { event: "auth.sso.failed", email: email?.slice(0, 200) ?? null, ip: ctx.ip, userAgent: ctx.userAgent, requestId: ctx.requestId, reason },
  });
}

export async function pruneSecurityLog(db: Db, retentionDays: number): Promise<number> {
  const result = await db.securityLog.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - retentionDays * 86_400_000) } } });
  return result.count;
}
