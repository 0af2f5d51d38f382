// Revisions of one article: preview, restore, compare, and the article's history.
import { Router } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { restoreRevisionByNumber } from "../../services/editorial/index.js";
import { compareScreen, historyFilterSchema, historyScreen, revisionScreen } from "../../services/editor-screens.js";
import { parseInput } from "../../web/validate.js";
import { staysOnPage } from "../../web/refusal.js";
import { auditContext } from "../../web/context.js";
import { withNotice } from "../../web/notice.js";
import { positiveInt, uuid } from "../../schemas.js";
import { audienceSlugPattern } from "../../content/revision-content.js";
import { idParams, params, requirePermission, revisionParams } from "./shared.js";

export function revisionRoutes(db: Db) {
  const router = Router();

  router.get("/articles/:id/revisions/:number", async (req, res) => {
    const { id, number } = params(revisionParams, req);
    // ?for=<audience>: the revision as that audience would read it.
    const query = z.object({ for: z.string().regex(audienceSlugPattern).optional() }).safeParse(req.query);
    if (!query.success) throw new AppError("NOT_FOUND", "There is no such version of this revision.");
    res.render("editor/revision", await revisionScreen(db, req.user, id, number, query.data.for ?? null));
  });

  router.post("/articles/:id/revisions/:number/restore", async (req, res) => {
    const { id, number } = params(revisionParams, req);
    const user = requirePermission(req.user, "article.edit", "restoring revisions");
    await staysOnPage(res, req.body, { name: "restore", labels: {} }, async () => {
      const base = z.object({ baseRevisionId: uuid() }).safeParse(req.body);
      if (!base.success) throw new AppError("BAD_REQUEST", "The form is missing the revision it was opened on; reload and try again.");
      const revision = await restoreRevisionByNumber(db, auditContext(req), user, id, number, base.data.baseRevisionId);
      await withNotice(req, res, `/editor/articles/${id}`, `Revision ${number} restored as revision ${revision.number} (a draft). Check it, then submit it for review; the public page does not change until an admin publishes.`);
    }, async (formRefused) => res.render("editor/revision", { ...(await revisionScreen(db, req.user, id, number)), formRefused }));
  });

  router.get("/articles/:id/compare", async (req, res) => {
    const { id } = params(idParams, req);
    const query = z.object({ from: positiveInt(), to: positiveInt(), view: z.enum(["rendered", "markdown"]).default("rendered") }).safeParse(req.query);
    if (!query.success) throw new AppError("BAD_REQUEST", "Choose two revision numbers to compare.");
    res.render("editor/compare", { ...(await compareScreen(db, id, query.data.from, query.data.to)), view: query.data.view });
  });

  router.get("/articles/:id/history", async (req, res) => {
    const { id } = params(idParams, req);
    requirePermission(req.user, "history.view", "viewing history");
    const filter = parseInput(historyFilterSchema, req.query, "The history filter");
    res.render("editor/history", await historyScreen(db, id, filter));
  });

  return router;
}
