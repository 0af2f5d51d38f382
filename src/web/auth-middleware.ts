// Loads the signed-in user for each request. A session whose user was
// deactivated, that sat idle past its idle limit, or that outlived its absolute
// lifetime since sign-in, is ended here.
import type { NextFunction, Request, Response } from "express";
import type { Config } from "../config.js";
import type { Db } from "../db/database.js";
import { auditContext } from "./context.js";
import { recordSessionExpired } from "../services/people/index.js";

export function loadSignedInUser(db: Db, config: Config) {
  return async (req: Request, _res: Response, next: NextFunction) => {
    const userId = req.session?.userId;
    if (!userId) return next();
    const user = await db.user.findUnique({ where: { id: userId } });
    const now = Date.now();
    if (!user || !user.active) {
      delete req.session.userId;
      return next();
    }
    // Sessions from before the absolute limit existed start their lifetime now.
    req.session.signedInAt ??= now;
    const idle = !!req.session.lastSeenAt && now - req.session.lastSeenAt > config.sessionTtlMs;
    if (idle || now - req.session.signedInAt > config.sessionMaxMs) {
      req.user = user;
      await recordSessionExpired(db, auditContext(req), idle ? "idle" : "absolute");
      req.user = undefined;
      delete req.session.userId;
      delete req.session.signedInAt;
      return next();
    }
    req.session.lastSeenAt = now;
    req.user = user;
    next();
  };
}
