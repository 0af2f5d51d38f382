// Creating an article and editing it: every save is a new revision.
import { Router, type Response } from "express";
import { z } from "zod";
import type { Db } from "../../db/database.js";
import { AppError } from "../../errors.js";
import { createNewArticle, saveRevision, toContent } from "../../services/editorial/index.js";
import { editorScreen, openEditorScreen, staleSaveConflict } from "../../services/editor-screens.js";
import { contentFromForm, formFromBody, formFromContent, withBlankRows, type ArticleForm } from "../../web/article-form.js";
import { auditContext } from "../../web/context.js";
import { parseInput, textValues } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { schedulesOvertakenBy } from "../../services/publishing/index.js";
import { scheduleInWords } from "../../time.js";
import { can } from "../../workflow/permissions.js";
import { uuid } from "../../schemas.js";
import { idParams, params, requirePermission } from "./shared.js";

const newArticleSchema = z.object({
  title: z.string().trim().min(5, "the question must be at least 5 characters").max(300),
  slug: z.string().trim().max(120).regex(/^[a-z0-9-]*$/, "use lowercase letters, digits and hyphens").optional().default(""),
});

export function editRoutes(db: Db) {
  const router = Router();

  router.get("/articles/new", (req, res) => {
    requirePermission(req.user, "article.create", "creating articles");
    res.render("editor/new-article", { title: "New article", values: { title: "", slug: "" }, fieldErrors: {} });
  });

  router.post("/articles", async (req, res) => {
    const user = requirePermission(req.user, "article.create", "creating articles");
    const values = textValues(req.body, ["title", "slug"] as const);
    try {
      const input = parseInput(newArticleSchema, req.body);
      const { article } = await createNewArticle(db, auditContext(req), user, input);
      res.redirect(303, `/editor/articles/${article.id}/edit`);
    } catch (error) {
      if (!(error instanceof AppError) || !["BAD_REQUEST", "CONFLICT"].includes(error.code)) throw error;
      res.status(error.code === "CONFLICT" ? 409 : 400).render("editor/new-article", { title: "New article", values, fieldErrors: error.details.fieldErrors ?? {}, error: error.message });
    }
  });

  async function renderEditor(res: Response, articleId: string, form: ArticleForm, extra: Record<string, unknown>, status: number) {
    res.status(status).render("editor/edit", await editorScreen(db, articleId, withBlankRows(form), extra));
  }

  router.get("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    const user = requirePermission(req.user, "article.edit", "editing articles");
    const { locked, editable } = await openEditorScreen(db, user, id);
    // A revision in review: say why it cannot be edited and what can be done (not a bare 409 page).
    if (locked) return res.status(409).render("editor/locked", locked);
    res.render("editor/edit", await editorScreen(db, id, withBlankRows(formFromContent(toContent(editable), editable.id))));
  });

  router.post("/articles/:id/edit", async (req, res) => {
    const { id } = params(idParams, req);
    const user = requirePermission(req.user, "article.edit", "editing articles");
    const form = formFromBody(req.body ?? {});
    if (!uuid().safeParse(form.baseRevisionId).success) {
      throw new AppError("BAD_REQUEST", "The form does not say which revision it was opened on. Reload the editor and try again.");
    }
    form.baseRevisionId = form.baseRevisionId.toLowerCase();
    const parsed = contentFromForm(form);
    if (!parsed.ok) {
      return renderEditor(res, id, form, { fieldErrors: parsed.fieldErrors, error: "The revision was not saved: please correct the fields marked below." }, 400);
    }
    try {
      const revision = await saveRevision(db, auditContext(req), user, id, { baseRevisionId: form.baseRevisionId, content: parsed.content, changeNote: parsed.changeNote });
      // An older approved revision still scheduled to go live will not carry this edit: say so now.
      const overtaken = (await schedulesOvertakenBy(db, id, revision.number)).map((s) =>
        ` Note: r${s.revision.number} is still scheduled to go live ${scheduleInWords(s.runAt)}, without this edit; ${can(user, "workflow.publish") ? "cancel that schedule below" : "ask an admin to cancel that schedule"} if this edit must go live with it.`);
      await withNotice(req, res, `/editor/articles/${id}${overtaken.length ? "#overtaken-schedules" : ""}`, `Saved revision ${revision.number}. It is a draft that only staff see: submit it for review when it is ready, and the board will be told.${overtaken.join("")}`);
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      if (error.code === "CONFLICT" && error.details.staleConflict) {
        // Keep the user's text; show what the other person changed since the user's base revision.
        const currentRevisionId = String(error.details.currentRevisionId);
        const conflict = await staleSaveConflict(db, form.baseRevisionId, currentRevisionId);
        return renderEditor(res, id, { ...form, baseRevisionId: currentRevisionId }, { error: error.message, conflict }, 409);
      }
      if (error.code === "BAD_REQUEST" || error.code === "CONFLICT") {
        return renderEditor(res, id, form, { error: error.message, fieldErrors: error.details.fieldErrors ?? {} }, error.code === "CONFLICT" ? 409 : 400);
      }
      throw error;
    }
  });

  return router;
}
