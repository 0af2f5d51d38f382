// Attempt limits for passwords (sign-in, signature re-entry), as OWASP recommends:
// counted per account *and* client address, with delays that grow after a few free
// failures instead of a hard lock, so someone elsewhere cannot keep a real user out
// by guessing their password. A looser per-address limit slows one address trying
// many accounts.
//
// An attempt is taken *before* the password is checked, by one INSERT … ON CONFLICT
// statement: the row lock makes concurrent attempts queue, so N parallel guesses
// cannot all pass a limit of 5. A blocked attempt changes nothing (it neither counts
// nor extends the wait). A correct password gives its attempt back.
import { Prisma } from "../../generated/prisma/client.js";
import type { Db } from "../../db/database.js";

export interface ThrottlePolicy {
  /** Failures allowed before any waiting. */
  freeFailures: number;
  /** The wait after the last free failure; it doubles with each further one... */
  firstDelaySeconds: number;
  /** ...up to this. */
  maxDelaySeconds: number;
  /** A key with no attempt for this long starts again from zero. */
  forgetAfterHours: number;
}

export const signInPerAccountAndAddress: ThrottlePolicy = { freeFailures: 5, firstDelaySeconds: 30, maxDelaySeconds: 15 * 60, forgetAfterHours: 24 };
export const signInPerAddress: ThrottlePolicy = { freeFailures: 20, firstDelaySeconds: 60, maxDelaySeconds: 60 * 60, forgetAfterHours: 24 };
export const signaturePassword: ThrottlePolicy = { freeFailures: 5, firstDelaySeconds: 30, maxDelaySeconds: 15 * 60, forgetAfterHours: 24 };

export type Attempt = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** The wait after `failures` failures, as SQL (NULL: none). */
function blockedUntil(failures: Prisma.Sql, p: ThrottlePolicy): Prisma.Sql {
  return Prisma.sql`CASE WHEN ${failures} >= ${p.freeFailures}
    THEN now() + make_interval(secs => least(${p.maxDelaySeconds}::float8, ${p.firstDelaySeconds}::float8 * power(2, ${failures} - ${p.freeFailures})))
    END`;
}

/** Takes one attempt for `key`; refused (and nothing counted) while the key must wait. */
export async function takeAttempt(db: Db, key: string, p: ThrottlePolicy): Promise<Attempt> {
  const next = Prisma.sql`(CASE WHEN t.updated_at < now() - make_interval(hours => ${p.forgetAfterHours}) THEN 1 ELSE t.failures + 1 END)`;
  const rows = await db.$queryRaw<{ failures: number }[]>`
    INSERT INTO throttle AS t (key, failures, blocked_until, updated_at)
    VALUES (${key}, 1, ${blockedUntil(Prisma.sql`1`, p)}, now())
    ON CONFLICT (key) DO UPDATE SET failures = ${next}, blocked_until = ${blockedUntil(next, p)}, updated_at = now()
    WHERE t.blocked_until IS NULL OR t.blocked_until <= now()
    RETURNING failures`;
  if (rows.length) return { allowed: true };
  const wait = await db.$queryRaw<{ seconds: number }[]>`
    SELECT greatest(1, round(extract(epoch FROM blocked_until - now())))::int AS seconds FROM throttle WHERE key = ${key}`;
  return { allowed: false, retryAfterSeconds: wait[0]?.seconds ?? 1 };
}

export type CheckedPassword = { outcome: "correct" } | { outcome: "wrong" } | { outcome: "blocked"; retryAfterSeconds: number };

/**
 * For a signed-in user re-entering their password (a signature): the key's row is
 * locked while the password is checked, so parallel attempts are checked one after
 * another and exactly `freeFailures` wrong ones get through, while correct ones are
 * never counted (twenty quick clicks on "Approve" are not twenty guesses). Only
 * signed-in users reach this, so nobody anonymous can make requests queue on it.
 * `onWrong` records the failure in the same transaction.
 */
export async function checkPasswordThrottled(
  db: Db, key: string, p: ThrottlePolicy, verify: () => Promise<boolean>, onWrong: (tx: Prisma.TransactionClient) => Promise<unknown>,
): Promise<CheckedPassword> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`INSERT INTO throttle (key, failures, updated_at) VALUES (${key}, 0, now()) ON CONFLICT (key) DO NOTHING`;
    const [row] = await tx.$queryRaw<{ failures: number; stale: boolean; wait: number | null }[]>`
      SELECT failures, updated_at < now() - make_interval(hours => ${p.forgetAfterHours}) AS stale,
             CASE WHEN blocked_until > now() THEN greatest(1, round(extract(epoch FROM blocked_until - now())))::int END AS wait
      FROM throttle WHERE key = ${key} FOR UPDATE`;
    if (row!.wait !== null) return { outcome: "blocked" as const, retryAfterSeconds: row!.wait };
    if (await verify()) {
      await tx.$executeRaw`DELETE FROM throttle WHERE key = ${key}`;
      return { outcome: "correct" as const };
    }
    const failures = row!.stale ? 1 : row!.failures + 1;
    await tx.$executeRaw`UPDATE throttle SET failures = ${failures}, blocked_until = ${blockedUntil(Prisma.sql`${failures}::int`, p)}, updated_at = now() WHERE key = ${key}`;
    await onWrong(tx);
    return { outcome: "wrong" as const };
  });
}

/** A correct password: this key starts again from zero. */
export async function clearAttempts(db: Db, key: string): Promise<void> {
  await db.$executeRaw`DELETE FROM throttle WHERE key = ${key}`;
}

/** Gives back one attempt that turned out not to be a failure (a correct password from a busy address). */
export async function giveBackAttempt(db: Db, key: string, p: ThrottlePolicy): Promise<void> {
  const fewer = Prisma.sql`greatest(t.failures - 1, 0)`;
  await db.$executeRaw`
    UPDATE throttle AS t SET failures = ${fewer}, blocked_until = CASE WHEN ${fewer} >= ${p.freeFailures} THEN t.blocked_until END
    WHERE key = ${key}`;
}

/** "30 seconds", "4 minutes": how long to wait, for messages. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** Forgets counters nobody used for a day or more (they would start from zero anyway). */
export async function pruneThrottle(db: Db): Promise<number> {
  const longest = Math.max(signInPerAccountAndAddress.forgetAfterHours, signInPerAddress.forgetAfterHours, signaturePassword.forgetAfterHours);
  return db.$executeRaw`DELETE FROM throttle WHERE updated_at < now() - make_interval(hours => ${longest})`;
}
