// REQUIRE_SECOND_FACTOR: a signed-in person whose role must have a second factor and who
// has none reaches only /account/security (to set one up, with the reason shown) and
// sign-out. Checked on every request, so turning the setting on applies to open sessions
// too. Public pages stay public (readers need no account).
import type { NextFunction, Request, Response } from "express";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { hasSecondFactor, mustHaveSecondFactor } from "../services/people/index.js";

const STAFF_AREAS = ["/editor", "/admin", "/account"];
const ALWAYS_OPEN = ["/account/security", "/logout"];

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

export function requireSecondFactorGate(db: Db, config: Config) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const user = req.user;
    if (!user || !config.requireSecondFactorRoles.length || !mustHaveSecondFactor(user, config.requireSecondFactorRoles)) return next();
    if (!STAFF_AREAS.some((p) => under(req.path, p)) || ALWAYS_OPEN.some((p) => under(req.path, p))) return next();
    // The identity provider's own second factor (amr, decision 0035) counts for this session.
    if (req.session.secondFactorByProvider || (await hasSecondFactor(db, user.id))) return next();
    if (req.method === "GET" || req.method === "HEAD") return res.redirect(303, "/account/security");
    next(new AppError("FORBIDDEN", "Your role must use a second factor: set up an authenticator app or a passkey at /account/security first.", { recorded: true }));
  };
}
