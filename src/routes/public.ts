// Pages anyone can read. Anonymous readers are served from the page cache before this
// router (src/public/serve.ts); these routes serve signed-in staff (the same page with
// their own header, never cached) and whatever the cache passed on (404s, bad queries).
import { Router } from "express";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { AUDIENCE_COOKIE, publicPageKey, type PublicSite } from "../public/public-site.js";
import { archivedAudienceRedirect, readerChoice, readerChoiceSchema } from "../services/editorial/index.js";
import { parseInput } from "../web/validate.js";

export function publicRoutes(database: Database, site: PublicSite, options: { cookieSecure: boolean }) {
  const router = Router();

  // The audience selector's GET form: remember the choice (a cookie with no other purpose)
  // and show the chosen version at its own address. Works without JavaScript.
  router.get("/reader-choice", async (req, res) => {
    const input = parseInput(readerChoiceSchema, req.query, "The choice");
    const { audience, path } = await readerChoice(database.prisma, input);
    const cookie = { path: "/", sameSite: "lax" as const, httpOnly: true, secure: options.cookieSecure };
    if (audience.isDefault) res.clearCookie(AUDIENCE_COOKIE, cookie);
    else res.cookie(AUDIENCE_COOKIE, audience.slug, { ...cookie, maxAge: 365 * 24 * 3600_000 });
    res.setHeader("Cache-Control", "private, no-store");
    res.redirect(303, path);
  });

  router.get("/", (_req, res) => res.redirect(302, "/articles"));

  router.get(["/articles", "/articles/:slug", "/editorial-policy", "/advisory-board", "/sitemap.xml", "/robots.txt", "/feed.xml"], async (req, res) => {
    const key = publicPageKey(req.path, req.query as Record<string, unknown>);
    if (!key && req.path === "/articles") throw new AppError("BAD_REQUEST", "This list address is not valid: use the links on the article list.");
    const page = key ? await site.render(key, { currentUser: res.locals.currentUser, csrfToken: res.locals.csrfToken }) : null;
    if (!page) {
      // A remembered audience that no longer exists (or a forged cookie) must not keep
      // sending the reader to a missing page: forget it.
      if (req.query.for !== undefined) res.clearCookie(AUDIENCE_COOKIE, { path: "/", sameSite: "lax", httpOnly: true, secure: options.cookieSecure });
      // An archived audience's version is no longer offered: its address (bookmarks, links)
      // leads to the article as written. Not a permanent redirect: the audience may come back.
      const archived = await archivedAudienceRedirect(database.prisma, req.path, req.query as Record<string, unknown>);
      if (archived) {
        res.setHeader("Cache-Control", "no-store");
        return res.redirect(302, archived);
      }
      throw new AppError("NOT_FOUND", "There is no published article at this address.");
    }
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
