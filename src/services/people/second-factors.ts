// Second factors: authenticator apps (TOTP, RFC 6238) and single-use recovery codes,
// plus what they share with passkeys (src/services/people/passkeys.ts): whether a person has a
// factor, the notice sent to them on every change, and an administrator's reset.
//
// The TOTP secret is sealed with AES-256-GCM under a key derived from SESSION_SECRET
// (decision 0030): a copy of the database alone (a backup, a replica) does not give
// anyone the codes. Recovery codes carry 80 random bits, so a SHA-256 of each is
// enough (as for API tokens) and lets a code be found by its hash.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomInt } from "node:crypto";
import type { Db } from "../../db/database.js";
import type { Prisma, User } from "../../generated/prisma/client.js";
import { AppError } from "../../errors.js";
import { recordEvent, type RequestContext } from "../../audit/audit-log.js";
import { notify } from "./notifications.js";
import { recordSecondFactorRefusal } from "./security-log.js";
import { clearAttempts, takeAttempt, waitText, type ThrottlePolicy } from "./throttle.js";

// The one-time-code and QR libraries load when someone first uses an authenticator app,
// not when the app starts.
let otpLoaded: Promise<typeof import("otplib")> | undefined;
const otp = () => (otpLoaded ??= import("otplib"));

type Tx = Prisma.TransactionClient;

export const TOTP_ISSUER = "Clinical Answers";
const PERIOD = 30;
export const RECOVERY_CODE_COUNT = 10;

/** Codes of one account, after the password: five free failures, then growing waits (like passwords). */
export const secondFactorCode: ThrottlePolicy = { freeFailures: 5, firstDelaySeconds: 30, maxDelaySeconds: 15 * 60, forgetAfterHours: 24 };

// ---- sealing the TOTP secret (decision 0030)

function sealingKey(sessionSecret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", sessionSecret, "mecms-second-factor", "totp-secret-v1", 32));
}

export function sealSecret(secret: string, sessionSecret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", sealingKey(sessionSecret), iv);
  const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return ["v1", iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), sealed.toString("base64url")].join(".");
}

/** The secret, or null when it was sealed under another SESSION_SECRET (or altered). */
export function openSealedSecret(sealed: string, sessionSecret: string): string | null {
  const [version, iv, tag, data] = sealed.split(".");
  if (version !== "v1" || !iv || !tag || !data) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", sealingKey(sessionSecret), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}

// ---- what a person has

export interface FactorStatus {
  totp: { createdAt: Date; lastUsedAt: Date | null } | null;
  passkeys: { id: string; name: string; createdAt: Date; lastUsedAt: Date | null; backedUp: boolean }[];
  recoveryCodesLeft: number;
}

export async function factorStatus(db: Db | Tx, userId: string): Promise<FactorStatus> {
  const [totp, passkeys, recoveryCodesLeft] = await Promise.all([
    db.totpFactor.findUnique({ where: { userId }, select: { createdAt: true, lastUsedAt: true } }),
    db.passkey.findMany({ where: { userId }, orderBy: { createdAt: "asc" }, select: { id: true, name: true, createdAt: true, lastUsedAt: true, backedUp: true } }),
    db.recoveryCode.count({ where: { userId, usedAt: null } }),
  ]);
  return { totp, passkeys, recoveryCodesLeft };
}

/** An authenticator app or at least one passkey (recovery codes alone are a fallback, not a factor). */
export async function hasSecondFactor(db: Db | Tx, userId: string): Promise<boolean> {
  const [totp, passkeys] = await Promise.all([db.totpFactor.count({ where: { userId } }), db.passkey.count({ where: { userId } })]);
  return totp + passkeys > 0;
}

/** "authenticator app, 2 passkey(s)" per user id, for the users page. */
export async function factorSummaries(db: Db): Promise<Record<string, string>> {
  const [totp, passkeys] = await Promise.all([
    db.totpFactor.findMany({ select: { userId: true } }),
    db.passkey.groupBy({ by: ["userId"], _count: { _all: true } }),
  ]);
  const summaries: Record<string, string> = {};
  for (const { userId } of totp) summaries[userId] = "authenticator app";
  for (const p of passkeys) summaries[p.userId] = [summaries[p.userId], `${p._count._all} passkey(s)`].filter(Boolean).join(", ");
  return summaries;
}

/** The person of a pending sign-in, unless the account was deactivated (or removed) meanwhile. */
export async function activeUser(db: Db, userId: string): Promise<User | null> {
  const user = await db.user.findUnique({ where: { id: userId } });
  return user?.active ? user : null;
}

export async function hasPasskey(db: Db, userId: string): Promise<boolean> {
  return (await db.passkey.count({ where: { userId } })) > 0;
}

export function mustHaveSecondFactor(user: Pick<User, "role">, requiredRoles: readonly string[]): boolean {
  return requiredRoles.includes(user.role);
}

/** The person hears of every change to how they sign in, by e-mail whatever their preferences. */
export async function tellAboutFactorChange(tx: Tx, userId: string, what: string) {
  await notify(tx, {
    kind: "account.security", userIds: [userId], actorId: null, link: "/account/security",
    message: `${what} If this was not you, tell an administrator now: someone may be able to sign in as you.`,
  });
}

// ---- authenticator app set-up

export interface TotpSetup {
  /** Base32, for typing into the app by hand. */
  secret: string;
  /** Kept in the (server-side) session until the first code confirms it. */
  sealed: string;
  /** The otpauth:// address as an SVG QR code, as a data: URL (allowed by the CSP's img-src). */
  qrDataUrl: string;
}

export async function startTotpSetup(user: Pick<User, "email">, sessionSecret: string): Promise<TotpSetup> {
  const secret = (await otp()).generateSecret();
  return { secret, sealed: sealSecret(secret, sessionSecret), ...(await totpPicture(user, secret)) };
}

/** The same set-up shown again (after a wrong first code). */
export async function resumeTotpSetup(user: Pick<User, "email">, sealed: string, sessionSecret: string): Promise<TotpSetup | null> {
  const secret = openSealedSecret(sealed, sessionSecret);
  return secret ? { secret, sealed, ...(await totpPicture(user, secret)) } : null;
}

async function totpPicture(user: Pick<User, "email">, secret: string) {
  const uri = (await otp()).generateURI({ issuer: TOTP_ISSUER, label: user.email, secret, period: PERIOD, digits: 6, algorithm: "sha1" });
  const { default: QRCode } = await import("qrcode");
  const svg = await QRCode.toString(uri, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
  return { qrDataUrl: `data:image/svg+xml;base64,${Buffer.from(svg).toString("base64")}` };
}

const sixDigits = /^\d{6}$/;
const normalCode = (code: string) => code.replace(/[\s-]/g, "");

type TotpCheck = { ok: true; timeStep: number } | { ok: false; reason: "wrong_code" | "expired" };

/** ±1 time step (30 s either way) is accepted; a code from further back is named as expired. */
async function checkTotp(secret: string, code: string, nowSeconds: number, afterTimeStep?: number): Promise<TotpCheck> {
  if (!sixDigits.test(code)) return { ok: false, reason: "wrong_code" };
  const { verify } = await otp();
  const result = await verify({ secret, token: code, epoch: nowSeconds, epochTolerance: PERIOD, period: PERIOD, ...(afterTimeStep !== undefined ? { afterTimeStep } : {}) });
  if (result.valid) return { ok: true, timeStep: Math.floor(nowSeconds / PERIOD) + result.delta };
  const older = await verify({ secret, token: code, epoch: nowSeconds, epochTolerance: [10 * PERIOD, 0], period: PERIOD });
  return { ok: false, reason: older.valid ? "expired" : "wrong_code" };
}

const setupMessages = {
  wrong_code: "That code is not correct. Enter the 6-digit code the app shows now for “Clinical Answers”.",
  expired: "That code has expired. Enter the code the app shows now (if it keeps failing, check that your phone's clock is set automatically).",
};

/**
 * The first code confirms the app has the secret: only then is the factor stored, with
 * ten recovery codes when the person has none left. Returns those codes (shown once).
 */
export async function confirmTotpSetup(
  db: Db, ctx: RequestContext, user: User, sealed: string, codeInput: string, sessionSecret: string, nowSeconds = Math.floor(Date.now() / 1000),
): Promise<{ recoveryCodes: string[] | null }> {
  const secret = openSealedSecret(sealed, sessionSecret);
  if (!secret) throw new AppError("BAD_REQUEST", "The set-up has expired. Start again.");
  const checked = await checkTotp(secret, normalCode(codeInput), nowSeconds);
  if (!checked.ok) throw new AppError("BAD_REQUEST", setupMessages[checked.reason], { fieldErrors: { code: setupMessages[checked.reason] } });
  return db.$transaction(async (tx) => {
    if (await tx.totpFactor.findUnique({ where: { userId: user.id } })) {
      throw new AppError("CONFLICT", "An authenticator app is already set up. Remove it first to set up another one.");
    }
    await tx.totpFactor.create({ data: { userId: user.id, secretSealed: sealed, lastTimeStep: checked.timeStep } });
    await recordEvent(tx, ctx, { action: "auth.factor.enrolled", entityType: "user", entityId: user.id, payload: { factor: "totp" } });
    const recoveryCodes = await firstRecoveryCodes(tx, user.id);
    await tellAboutFactorChange(tx, user.id, "An authenticator app was set up as a second factor for your account.");
    return { recoveryCodes };
  });
}

export async function removeTotp(db: Db, ctx: RequestContext, user: User) {
  await db.$transaction(async (tx) => {
    const removed = await tx.totpFactor.deleteMany({ where: { userId: user.id } });
    if (!removed.count) throw new AppError("NOT_FOUND", "No authenticator app is set up.");
    await recordEvent(tx, ctx, { action: "auth.factor.removed", entityType: "user", entityId: user.id, payload: { factor: "totp" } });
    await tellAboutFactorChange(tx, user.id, "The authenticator app was removed from your account.");
  });
}

// ---- recovery codes

/** "ABCD-EFGH-JKLM-NPQR": 16 characters from a 32-letter alphabet without look-alikes = 80 bits. */
function newRecoveryCode(): string {
  const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const chars = Array.from({ length: 16 }, () => alphabet[randomInt(alphabet.length)]);
  return [0, 4, 8, 12].map((i) => chars.slice(i, i + 4).join("")).join("-");
}

const hashRecoveryCode = (code: string) => createHash("sha256").update(normalCode(code).toUpperCase()).digest("hex");

async function writeRecoveryCodes(tx: Tx, userId: string): Promise<string[]> {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  await tx.recoveryCode.deleteMany({ where: { userId } });
  await tx.recoveryCode.createMany({ data: codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })) });
  return codes;
}

/** With a person's first factor come ten recovery codes (none when they still have unused ones). */
export async function firstRecoveryCodes(tx: Tx, userId: string): Promise<string[] | null> {
  return (await tx.recoveryCode.count({ where: { userId, usedAt: null } })) ? null : writeRecoveryCodes(tx, userId);
}

async function replaceRecoveryCodes(tx: Tx, ctx: RequestContext, userId: string): Promise<string[]> {
  const codes = await writeRecoveryCodes(tx, userId);
  await recordEvent(tx, ctx, { action: "auth.factor.recovery_codes_renewed", entityType: "user", entityId: userId, payload: { count: codes.length } });
  return codes;
}

export async function renewRecoveryCodes(db: Db, ctx: RequestContext, user: User): Promise<string[]> {
  return db.$transaction(async (tx) => {
    if (!(await hasSecondFactor(tx, user.id))) throw new AppError("CONFLICT", "Set up an authenticator app or a passkey first: recovery codes stand in for one.");
    const codes = await replaceRecoveryCodes(tx, ctx, user.id);
    await tellAboutFactorChange(tx, user.id, "New recovery codes were made for your account; the old ones no longer work.");
    return codes;
  });
}

// ---- the second step of signing in

export type CodeSignIn = { method: "password+totp" } | { method: "password+recovery_code"; recoveryCodesLeft: number };

const refusals = {
  wrong_code: "That code is not correct. Enter the 6-digit code your authenticator app shows now, or one of your recovery codes.",
  expired: "That code has expired. Enter the code your authenticator app shows now (if it keeps failing, check that your phone's clock is set automatically).",
  reused_code: "That code was already used. Wait for the next code in your authenticator app (a new one every 30 seconds) and enter it.",
  wrong_recovery_code: "That recovery code is not correct, or it was already used: each works once. Use another one, or your authenticator app.",
  unreadable: "Your authenticator app can no longer be checked (the server's secret key changed). Use a recovery code or a passkey, or ask an administrator to reset your second factors.",
} as const;

/**
 * Checks a code typed after the password: a TOTP code (6 digits) or a recovery code. The
 * attempt is counted before the check (like passwords); a TOTP code is accepted once (the
 * newest accepted time step is kept and moved forward by a conditional update, so two
 * requests with the same code cannot both pass), a recovery code is used up.
 */
export async function checkSignInCode(
  db: Db, ctx: RequestContext, user: User, codeInput: string, sessionSecret: string, nowSeconds = Math.floor(Date.now() / 1000),
): Promise<CodeSignIn> {
  const key = `second-factor:${user.id}`;
  const attempt = await takeAttempt(db, key, secondFactorCode);
  if (!attempt.allowed) {
    await recordSecondFactorRefusal(db, ctx, user.email, "rate_limited");
    throw new AppError("TOO_MANY_REQUESTS", `Too many wrong codes. Try again in ${waitText(attempt.retryAfterSeconds)}.`, { retryAfterSeconds: attempt.retryAfterSeconds });
  }
  const refuse = async (reason: keyof typeof refusals, logged: "wrong_code" | "reused_code" | "wrong_recovery_code" | "expired") => {
    await recordSecondFactorRefusal(db, ctx, user.email, logged);
    return new AppError("UNAUTHENTICATED", refusals[reason], { fieldErrors: { code: refusals[reason] } });
  };
  const code = normalCode(codeInput);
  if (sixDigits.test(code)) {
    const factor = await db.totpFactor.findUnique({ where: { userId: user.id } });
    if (!factor) throw await refuse("wrong_code", "wrong_code");
    const secret = openSealedSecret(factor.secretSealed, sessionSecret);
    if (!secret) throw await refuse("unreadable", "wrong_code");
    const checked = await checkTotp(secret, code, nowSeconds);
    if (!checked.ok) throw await refuse(checked.reason, checked.reason);
    const moved = await db.totpFactor.updateMany({ where: { userId: user.id, lastTimeStep: { lt: checked.timeStep } }, data: { lastTimeStep: checked.timeStep, lastUsedAt: new Date() } });
    if (!moved.count) throw await refuse("reused_code", "reused_code");
    await clearAttempts(db, key);
    return { method: "password+totp" };
  }
  const used = await db.recoveryCode.updateMany({ where: { userId: user.id, codeHash: hashRecoveryCode(code), usedAt: null }, data: { usedAt: new Date() } });
  if (!used.count) throw await refuse("wrong_recovery_code", "wrong_recovery_code");
  await clearAttempts(db, key);
  return { method: "password+recovery_code", recoveryCodesLeft: await db.recoveryCode.count({ where: { userId: user.id, usedAt: null } }) };
}

// ---- an administrator's reset (lost phone, lost security key)

export async function resetSecondFactors(db: Db, ctx: RequestContext, admin: User, userId: string) {
  return db.$transaction(async (tx) => {
    const person = await tx.user.findUnique({ where: { id: userId } });
    if (!person) throw new AppError("NOT_FOUND", "That user does not exist.");
    const totp = (await tx.totpFactor.deleteMany({ where: { userId } })).count > 0;
    const passkeys = (await tx.passkey.deleteMany({ where: { userId } })).count;
    const recoveryCodes = (await tx.recoveryCode.deleteMany({ where: { userId, usedAt: null } })).count;
    await tx.recoveryCode.deleteMany({ where: { userId } });
    // Whoever holds the lost device may be signed in: every session of the person ends.
    const sessionsEnded = (await tx.session.deleteMany({ where: { userId } })).count;
    await recordEvent(tx, { ...ctx, actor: ctx.actor ?? { id: admin.id, name: admin.name, email: admin.email, role: admin.role } }, {
      action: "auth.factor.reset", entityType: "user", entityId: userId,
      payload: { email: person.email, name: person.name, totp, passkeys, recoveryCodes, sessionsEnded },
    });
    await tellAboutFactorChange(tx, userId, `${admin.name} (administrator) removed your second factors (authenticator app, passkeys and recovery codes). Set up a new one at your next sign-in.`);
    return { person, totp, passkeys, recoveryCodes, sessionsEnded };
  });
}
