// Creating and revoking preview links from the article workspace.
import { Router } from "express";
import type { Db } from "../../db/database.js";
import { createPreviewLink, newPreviewLinkSchema, previewPath, revokePreviewLink } from "../../services/preview-links.js";
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
    await revokePreviewLink(db, auditContext(req), req.user!, id, linkId);
    await withNotice(req, res, `/editor/articles/${id}#preview-links`, "Preview link revoked.");
  });

  return router;
}
