// Per-request state: a request id, the signed-in user, and the audit context
// built from them.
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { RequestContext } from "../audit/audit-log.js";
import type { User } from "../generated/prisma/client.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // `id` (the request id) is declared on IncomingMessage by pino-http; assignRequestId sets it.
    interface Request {
      user?: User;
      /** Set when the request authenticated with an API token (src/api/auth.ts). */
      apiToken?: { id: string; name: string; scopes: string[] };
    }
  }
}

export function assignRequestId(req: Request, res: Response, next: NextFunction) {
  req.id = randomUUID();
  res.setHeader("X-Request-Id", req.id);
  next();
}

/** What templates may know about a user: never the password hash or anything else not shown. */
export const viewUserFields = { id: true, email: true, name: true, role: true, credentials: true, canReview: true, active: true } as const;
export type ViewUser = Pick<User, keyof typeof viewUserFields>;

export function viewUser(user: User): ViewUser {
  const { id, email, name, role, credentials, canReview, active } = user;
  return { id, email, name, role, credentials, canReview, active };
}

export function auditContext(req: Request): RequestContext {
  const user = req.user;
  return {
    actor: user ? { id: user.id, name: user.name, email: user.email, role: user.role } : null,
    ip: req.ip ?? null,
    userAgent: req.get("user-agent")?.slice(0, 500) ?? null,
    requestId: String(req.id),
    apiTokenId: req.apiToken?.id ?? null,
  };
}
