// Pages anyone can read. Anonymous readers are served from the page cache before this
// router (src/public/serve.ts); these routes serve signed-in staff (the same page with
// their own header, never cached) and whatever the cache passed on (404s, bad queries).
import { Router } from "express";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { publicPageKey, type PublicSite } from "../public/public-site.js";

export function publicRoutes(database: Database, site: PublicSite) {
  const router = Router();

  router.get("/", (_req, res) => res.redirect(302, "/articles"));

  router.get(["/articles", "/articles/:slug", "/editorial-policy", "/advisory-board", "/sitemap.xml", "/robots.txt", "/feed.xml"], async (req, res) => {
    const key = publicPageKey(req.path, req.query as Record<string, unknown>);
    if (!key && req.path === "/articles") throw new AppError("BAD_REQUEST", "This list address is not valid: use the links on the article list.");
    const page = key ? await site.render(key, { currentUser: res.locals.currentUser, csrfToken: res.locals.csrfToken }) : null;
    if (!page) throw new AppError("NOT_FOUND", "There is no published article at this address.");
    if (page.robots) res.setHeader("X-Robots-Tag", page.robots);
    res.type(page.contentType).send(page.body);
  });

  router.get("/healthz", async (_req, res) => {
    try {
      await database.pool.query("SELECT 1");
      res.json({ status: "ok", database: database.kind });
    } catch {
      res.status(503).json({ status: "unavailable", database: database.kind, message: "The database is not answering." });
    }
  });

  return router;
}
