// CSRF protection (a synchronizer token kept in the session) and the guards
// every non-public route uses.
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { AppError } from "../errors.js";
import type { Role } from "../generated/prisma/client.js";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function csrfToken(req: Request): string {
  req.session.csrfToken ??= randomBytes(32).toString("base64url");
  return req.session.csrfToken;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function csrfProtection(req: Request, res: Response, next: NextFunction) {
  // Templates read the token lazily, so a session is only created for pages with forms.
  res.locals.csrfToken = () => csrfToken(req);
  if (SAFE_METHODS.has(req.method)) return next();
  const sent = (req.body && typeof req.body._csrf === "string" ? req.body._csrf : undefined) ?? req.get("x-csrf-token");
  const expected = req.session?.csrfToken;
  if (!sent || !expected || !sameToken(sent, expected)) {
    return next(new AppError("FORBIDDEN", "This form has expired or did not come from this site. Go back, reload the page and try again."));
  }
  next();
}

/** True for text PostgreSQL cannot store (NUL) or that is not valid Unicode (lone surrogates). */
function unstorable(value: unknown, depth = 0): boolean {
  if (typeof value === "string") return value.includes("\u0000") || !value.isWellFormed();
  if (depth > 8 || value === null || typeof value !== "object") return false;
  return Object.entries(value).some(([k, v]) => unstorable(k, depth + 1) || unstorable(v, depth + 1));
}

/**
 * No form or JSON body of this application nests deeper than a few levels. Far deeper
 * input (a 10,000-deep array) would exhaust the stack wherever it is converted or
 * walked, so it is refused here, before any route sees it. Iterative: a deep value
 * cannot overflow this check itself.
 */
export const MAX_INPUT_DEPTH = 16;
function tooDeep(root: unknown): boolean {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (depth >= MAX_INPUT_DEPTH) return true;
    for (const child of Object.values(value)) stack.push([child, depth + 1]);
  }
  return false;
}

export function rejectUnstorableText(req: Request, _res: Response, next: NextFunction) {
  if (tooDeep(req.body) || tooDeep(req.query)) {
    return next(new AppError("BAD_REQUEST", "The request is nested too deeply to be a form of this site. Reload the page and try again."));
  }
  if (unstorable(req.body) || unstorable(req.query)) {
    return next(new AppError("BAD_REQUEST", "The request contains characters that cannot be stored (such as a null character). Remove them and try again."));
  }
  next();
}

export function requireUser(req: Request, _res: Response, next: NextFunction) {
  if (!req.user) return next(new AppError("UNAUTHENTICATED", "Please sign in to continue."));
  next();
}

export function requireRole(...allowed: Role[]) {
  return (req: Request, _res: Response, next: NextFunction) => {
    if (!req.user) return next(new AppError("UNAUTHENTICATED", "Please sign in to continue."));
    if (!allowed.includes(req.user.role)) return next(new AppError("FORBIDDEN", "Your role does not allow this."));
    next();
  };
}
