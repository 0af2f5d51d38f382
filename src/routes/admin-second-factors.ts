// Administrators reset a person's second factors (lost phone, lost security key): its own
// route and button beside the user, audited, the person told by notification and e-mail.
import { Router } from "express";
import { z } from "zod";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { factorSummaries, resetSecondFactors } from "../services/people/index.js";
import { uuid } from "../schemas.js";
import { auditContext } from "../web/context.js";
import { can } from "../workflow/permissions.js";

const userParams = z.object({ id: uuid() });

export function adminSecondFactorRoutes(db: Db) {
  const router = Router();

  // What each person has, for the users page (read before the page renders).
  router.get("/users", async (req, res, next) => {
    if (!can(req.user, "user.manage")) return next();
    res.locals.factorSummaries = await factorSummaries(db);
    next();
  });

  router.post("/users/:id/second-factors/reset", async (req, res) => {
    if (!req.user) throw new AppError("UNAUTHENTICATED", "Please sign in to continue.");
    if (!can(req.user, "user.manage")) throw new AppError("FORBIDDEN", "Only administrators can open this page.");
    const params = userParams.safeParse(req.params);
    if (!params.success) throw new AppError("NOT_FOUND", "That user does not exist.");
    if (params.data.id === req.user.id) throw new AppError("FORBIDDEN", "Another administrator must reset your own second factors, so that one person cannot both lose and bypass them.");
    await resetSecondFactors(db, auditContext(req), req.user, params.data.id);
    res.redirect(303, "/admin/users");
  });

  return router;
}
