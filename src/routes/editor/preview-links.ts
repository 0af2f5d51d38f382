// Creating and revoking preview links from the article workspace.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { createPreviewLink, newPreviewLinkSchema, previewLinkToRevoke, previewPath, revokePreviewLink } from "../../services/preview-links.js";
import { askToConfirm, isConfirmed } from "../../web/confirm.js";
import { auditContext } from "../../web/context.js";
import { parseInput } from "../../web/validate.js";
import { withNotice } from "../../web/notice.js";
import { uuid } from "../../schemas.js";
import { idParams, params } from "./shared.js";

export function previewLinkRoutes(db: Db, previewSecret: string) {
  const router = Router();

  router.post("/articles/:id/preview-links", async (req, res) => {
    const { id } = params(idParams, req);
    const input = parseInput(newPreviewLinkSchema, req.body, "The preview link");
    const { link, revisionNumber } = await createPreviewLink(db, auditContext(req), req.user!, id, input);
    await withNotice(req, res, `/editor/articles/${id}#preview-links`, `Preview link for revision ${revisionNumber} created: ${previewPath(previewSecret, link)}`);
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
    await revokePreviewLink(db, auditContext(req), req.user!, id, linkId);
    await withNotice(req, res, `/editor/articles/${id}#preview-links`, "Preview link revoked.");
  });

  return router;
}
