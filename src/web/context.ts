// Per-request state: a request id, the signed-in user, and the audit context
// built from them.
import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { RequestContext } from "../audit/audit-log.js";
import type { User } from "../generated/prisma/client.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      id: string;
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

export function auditContext(req: Request): RequestContext {
  const user = req.user;
  return {
    actor: user ? { id: user.id, name: user.name, email: user.email, role: user.role } : null,
    ip: req.ip ?? null,
    userAgent: req.get("user-agent")?.slice(0, 500) ?? null,
    requestId: req.id,
    apiTokenId: req.apiToken?.id ?? null,
  };
}
