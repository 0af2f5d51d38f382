// Review comments: new threads, replies, resolve and reopen.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { addComment, newCommentSchema, replySchema, replyToComment, setCommentResolved } from "../../services/review/index.js";
import { auditContext } from "../../web/context.js";
import { parseInput, textValues } from "../../web/validate.js";
import { correctableRefusal, staysOnPage } from "../../web/refusal.js";
import { httpStatusOf } from "../../errors.js";
import { workspaceScreen } from "../../services/editor-screens.js";
import { uuid } from "../../schemas.js";
import { idParams, params, workspaceRefusal } from "./shared.js";

const commentParams = idParams.extend({ commentId: uuid() });

export function commentRoutes(db: Db) {
  const router = Router();

  router.post("/articles/:id/comments", async (req, res) => {
    const { id } = params(idParams, req);
    try {
      const input = parseInput(newCommentSchema, req.body, "The comment");
      await addComment(db, auditContext(req), req.user!, id, input);
      res.redirect(303, `/editor/articles/${id}#comments`);
    } catch (error) {
      // A comment refused for its content comes back on the page with what was typed (decision 0021).
      const refusal = correctableRefusal(error);
      if (!refusal) throw error;
      res.status(httpStatusOf[refusal.code]).render("editor/article", {
        ...(await workspaceScreen(db, req.user!, id)), notice: null, refused: null,
        commentRefused: { message: refusal.message, fieldErrors: refusal.details.fieldErrors ?? {}, values: textValues(req.body, ["sectionKey", "quote", "body"] as const) },
      });
    }
  });

  router.post("/articles/:id/comments/:commentId/replies", async (req, res) => {
    const { id, commentId } = params(commentParams, req);
    await staysOnPage(res, req.body, { name: `reply-${commentId}`, labels: { body: "Reply" } }, async () => {
      const { body } = parseInput(replySchema, req.body, "The reply");
      await replyToComment(db, auditContext(req), req.user!, id, commentId, body);
      res.redirect(303, `/editor/articles/${id}#comment-${commentId}`);
    }, workspaceRefusal(db, req, res, id));
  });

  for (const action of ["resolve", "reopen"] as const) {
    router.post(`/articles/:id/comments/:commentId/${action}`, async (req, res) => {
      const { id, commentId } = params(commentParams, req);
      await staysOnPage(res, req.body, { name: `${action}-${commentId}`, labels: {} }, async () => {
        await setCommentResolved(db, auditContext(req), req.user!, id, commentId, action === "resolve");
        res.redirect(303, `/editor/articles/${id}#comment-${commentId}`);
      }, workspaceRefusal(db, req, res, id));
    });
  }

  return router;
}
