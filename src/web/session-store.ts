// express-session store on the `session` table, so sessions survive a restart and
// can be ended per user (sign-out everywhere, deactivation).
import session from "express-session";
import type { Db } from "../db/database.js";

export class PrismaSessionStore extends session.Store {
  constructor(private readonly db: Db, private readonly ttlMs: number) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const expires = sess.cookie?.expires;
    return expires ? new Date(expires) : new Date(Date.now() + this.ttlMs);
  }

  override get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.db.session
      .findUnique({ where: { sid } })
      .then((row) => {
        // Expired rows are still returned: the auth middleware records their expiry.
        if (!row) return callback(null, null);
        callback(null, row.data as unknown as session.SessionData);
      })
      .catch((error) => callback(error));
  }

  override set(sid: string, sess: session.SessionData, callback?: (err?: unknown) => void): void {
    const data = JSON.parse(JSON.stringify(sess));
    const userId = sess.userId ?? null;
    const expiresAt = this.expiry(sess);
    this.db.session
      .upsert({ where: { sid }, create: { sid, data, userId, expiresAt }, update: { data, userId, expiresAt } })
      .then(() => callback?.())
      .catch((error) => callback?.(error));
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.db.session
      .deleteMany({ where: { sid } })
      .then(() => callback?.())
      .catch((error) => callback?.(error));
  }

  override touch(sid: string, sess: session.SessionData, callback?: () => void): void {
    this.db.session
      .updateMany({ where: { sid }, data: { expiresAt: this.expiry(sess) } })
      .then(() => callback?.())
      .catch(() => callback?.());
  }
}

/**
 * Deletes sessions that expired more than a day ago. The day of grace lets a late
 * request still be recognised (and recorded) as an expired session.
 */
export async function pruneExpiredSessions(db: Db): Promise<number> {
  const result = await db.session.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - 86_400_000) } } });
  return result.count;
}

declare module "express-session" {
  interface SessionData {
    userId?: string;
    csrfToken?: string;
    /** When the session last saw a request; idle sessions expire. */
    lastSeenAt?: number;
    /** When the user signed in; a session ends SESSION_MAX_HOURS later, however active. */
    signedInAt?: number;
  }
}
