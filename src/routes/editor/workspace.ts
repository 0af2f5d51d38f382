// The article workspace: the page, and the workflow steps taken from it.
import { Router } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { workspaceScreen } from "../../services/editor-screens.js";
import { applyTransition, transitionInputSchema } from "../../services/workflow.js";
import { reassignReviewers, reassignSchema } from "../../services/assignments.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { takeNotice, withNotice } from "../../web/notice.js";
import { transitionNames, type TransitionName } from "../../workflow/transitions.js";
import { idParams, params } from "./shared.js";

export function workspaceRoutes(db: Db) {
  const router = Router();

  router.get("/articles/:id", async (req, res) => {
    const { id } = params(idParams, req);
    res.render("editor/article", { ...(await workspaceScreen(db, req.user!, id)), notice: takeNotice(req) });
  });

  router.post("/articles/:id/transitions/:name", async (req, res) => {
    const { id } = params(idParams, req);
    const name = z.enum(transitionNames as [TransitionName, ...TransitionName[]]).safeParse(req.params.name);
    if (!name.success) throw new AppError("NOT_FOUND", "There is no such workflow step.");
    const input = parseInput(transitionInputSchema, req.body);
    const result = await applyTransition(db, auditContext(req), req.user!, id, name.data, input);
    await withNotice(req, res, `/editor/articles/${id}`, `${result.label}: done for revision ${result.revisionNumber}.`);
  });

  // Reassigning the revision under review (an audited action of its own).
  router.post("/articles/:id/assignments", async (req, res) => {
    const { id } = params(idParams, req);
    const input = parseInput(reassignSchema, req.body, "The assignment");
    const { revisionNumber } = await reassignReviewers(db, auditContext(req), req.user!, id, input);
    await withNotice(req, res, `/editor/articles/${id}#reviewers`, `Reviewers of revision ${revisionNumber} reassigned.`);
  });

  return router;
}
