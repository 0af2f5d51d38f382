// Preview links: one revision, read-only, for a reader without an account.
import { Router } from "express";
import type { Db } from "../db/database.js";
import { openPreview, articleView, previewShowsImage } from "../services/publishing/index.js";
import { imageRendition } from "../services/editorial/index.js";
import { parseRenditionFile } from "../content/images.js";
import { AppError } from "../errors.js";
import { sendImage } from "../web/image-response.js";
import { auditContext } from "../web/context.js";
import { parseInput } from "../web/validate.js";
import { previewAudience, previewAudienceSchema } from "../services/editorial/index.js";

export function previewRoutes(db: Db, secret: string) {
  const router = Router();
  router.get("/preview/:token", async (req, res) => {
    // Never indexed, never cached, and the token never leaks through a Referer header.
    res.set({ "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer" });
    const token = String(req.params.token).slice(0, 200);
    const { revision, expiresAt, nextReviewDue } = await openPreview(db, auditContext(req), secret, token);
    // Each audience version, chosen with the same form as on the public page; the form's
    // address is this link, so the choice keeps the token and needs no cookie.
    const { audience, reading, choices } = await previewAudience(db, parseInput(previewAudienceSchema, req.query, "The version"));
    // Its images come through the link too: the reader has no account and the images may not be public.
    const view = articleView(revision, { pendingReview: true, newestState: revision.state, nextReviewDue, audience: reading, mediaBase: `/preview/${encodeURIComponent(token)}/media` });
    const selector = { action: `/preview/${encodeURIComponent(token)}`, audiences: choices, current: audience.slug };
    res.render("preview", { title: `Preview: ${revision.title}`, revision, expiresAt, selector, ...view });
  });
  // The images of the previewed revision, for the link's holder only (they may not be public yet).
  router.get("/preview/:token/media/:file", async (req, res) => {
    const token = String(req.params.token).slice(0, 200);
    const file = parseRenditionFile(String(req.params.file));
    const rendition = file && (await previewShowsImage(db, secret, token, file.hash)) ? await imageRendition(db, file.hash, file.width, file.format) : null;
    if (!file || !rendition) throw new AppError("NOT_FOUND", "There is no such image in this preview.");
    res.setHeader("Referrer-Policy", "no-referrer");
    sendImage(res, rendition.bytes, file.format);
  });
  return router;
}
