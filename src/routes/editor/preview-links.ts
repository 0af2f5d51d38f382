// Creating and revoking preview links from the article workspace.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { askToConfirm, isConfirmed } from "../../web/confirm.js";
import { createPreviewLink, findArticlePreviewLink, newPreviewLinkSchema, previewLinkToRevoke, revokePreviewLink } from "../../services/publishing/index.js";
import { AppError } from "../../errors.js";
import { formatDateTime } from "../../web/format.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { staysOnPage } from "../../web/refusal.js";
import { uuid } from "../../schemas.js";
import { idParams, params, requirePermission, workspaceRefusal } from "./shared.js";

const previewLinkForm = { name: "preview-link", labels: { revisionId: "Revision", days: "Valid for (days)" } };

export function previewLinkRoutes(db: Db) {
  const router = Router();

  router.post("/articles/:id/preview-links", async (req, res) => {
    const { id } = params(idParams, req);
    await staysOnPage(res, req.body, previewLinkForm, async () => {
      const input = parseInput(newPreviewLinkSchema, req.body, "The preview link");
      const { link, revisionNumber } = await createPreviewLink(db, auditContext(req), req.user!, id, input);
      // The new link is marked in the list (which shows every active link's address), where the page lands.
      await withNotice(req, res, `/editor/articles/${id}?created=${link.id}#preview-link-${link.id}`, `Preview link for revision ${revisionNumber} created: copy its address below.`);
    }, workspaceRefusal(db, req, res, id));
  });

  router.get("/articles/:id/preview-links/:linkId/revoke", async (req, res) => {
    const { id, linkId } = params(idParams.extend({ linkId: uuid() }), req);
    requirePermission(req.user, "preview.create", "revoking preview links");
    const link = await findArticlePreviewLink(db, id, linkId);
    if (link.revokedAt) throw new AppError("CONFLICT", "That preview link is already revoked.");
    res.render("editor/confirm-action", {
      title: `Revoke the preview link to r${link.revision.number}?`,
      explanation: [`Whoever was sent this link can no longer open it. It would have expired on ${formatDateTime(link.expiresAt)}.`, "You can create a new link afterwards; the old address stays dead."],
      action: `/editor/articles/${id}/preview-links/${linkId}/revoke`, button: "Yes, revoke the link", back: `/editor/articles/${id}#preview-links`,
    });
  });

  router.post("/articles/:id/preview-links/:linkId/revoke", async (req, res) => {
    const { id, linkId } = params(idParams.extend({ linkId: uuid() }), req);
    if (!isConfirmed(req)) {
      const link = await previewLinkToRevoke(db, req.user!, id, linkId);
      return askToConfirm(req, res, {
        title: "Revoke this preview link?", question: `Revoke the preview link to r${link.revision.number}? Anyone who has it will no longer be able to open it.`,
        yes: "Yes, revoke the link", back: `/editor/articles/${id}#preview-links`,
      });
    }
    await staysOnPage(res, req.body, { name: `revoke-${linkId}`, labels: {} }, async () => {
      await revokePreviewLink(db, auditContext(req), req.user!, id, linkId);
      await withNotice(req, res, `/editor/articles/${id}#preview-links`, "Preview link revoked: it no longer opens.");
    }, workspaceRefusal(db, req, res, id));
  });

  return router;
}
