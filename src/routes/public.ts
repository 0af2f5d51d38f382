// Pages anyone can read: articles, the editorial policy, the advisory board, health.
import { Router } from "express";
import { z } from "zod";
import type { Database } from "../db/database.js";
import { AppError } from "../errors.js";
import { findPublicArticle, listPublicArticles } from "../services/articles.js";
import { listBoardMembers } from "../services/users.js";
import { publicArticleView } from "../web/article-view.js";

const slugParams = z.object({ slug: z.string().regex(/^[a-z0-9-]{1,120}$/, "not a valid article address") });

export function publicRoutes(database: Database) {
  const db = database.prisma;
  const router = Router();

  router.get("/", (_req, res) => res.redirect(302, "/articles"));

  router.get("/articles", async (_req, res) => {
    res.render("articles-index", { title: "Clinical questions", articles: await listPublicArticles(db) });
  });

  router.get("/articles/:slug", async (req, res) => {
    const { slug } = slugParams.safeParse(req.params).data ?? { slug: "" };
    const found = slug ? await findPublicArticle(db, slug) : null;
    if (!found) throw new AppError("NOT_FOUND", "There is no published article at this address.");
    res.render("article", { title: found.revision.title, ...publicArticleView(found) });
  });

  router.get("/editorial-policy", (_req, res) => res.render("editorial-policy", { title: "Editorial policy" }));

  router.get("/advisory-board", async (_req, res) => {
    res.render("advisory-board", { title: "Medical Advisory Board", members: await listBoardMembers(db) });
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
