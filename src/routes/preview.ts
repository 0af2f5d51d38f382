// Preview links: one revision, read-only, for a reader without an account.
import { Router } from "express";
import type { Db } from "../db/database.js";
import { openPreview } from "../services/preview-links.js";
import { articleView } from "../web/article-view.js";
import { auditContext } from "../web/context.js";

export function previewRoutes(db: Db, secret: string) {
  const router = Router();
  router.get("/preview/:token", async (req, res) => {
    // Never indexed, never cached, and the token never leaks through a Referer header.
    res.set({ "X-Robots-Tag": "noindex, nofollow", "Cache-Control": "private, no-store", "Referrer-Policy": "no-referrer" });
    const { revision, expiresAt, nextReviewDue } = await openPreview(db, auditContext(req), secret, String(req.params.token).slice(0, 200));
    const view = articleView(revision, { pendingReview: true, newestState: revision.state, nextReviewDue });
    res.render("preview", { title: `Preview: ${revision.title}`, revision, expiresAt, ...view });
  });
  return router;
}
