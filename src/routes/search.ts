// Search pages: /search for everyone (what the public pages show) and /editor/search
// for staff (every revision, plus references by DOI or PMID).
import { Router, type Request } from "express";
import type { Db } from "../db/database.js";
import { searchAllRevisions, searchPublished, searchQuery } from "../services/readers/index.js";
import { requireUser } from "../web/security.js";
import { fieldErrorsOf } from "../web/validate.js";

/** An empty box is not an error on a page: it shows the form. A bad query shows its message with 400. */
function parse(req: Request) {
  const raw = typeof req.query.q === "string" ? req.query.q : "";
  if (raw.trim() === "" && req.query.q === undefined) return { q: "", error: null };
  const parsed = searchQuery.safeParse({ q: req.query.q });
  if (!parsed.success) return { q: raw.slice(0, 200), error: Object.values(fieldErrorsOf(parsed.error))[0] ?? "not a valid search" };
  return { q: parsed.data.q, error: null };
}

export function searchRoutes(db: Db) {
  const router = Router();

  router.get("/search", async (req, res) => {
    const { q, error } = parse(req);
    const results = q && !error ? await searchPublished(db, q) : [];
    res.status(error ? 400 : 200).render("search", { title: q ? `Search: ${q}` : "Search", q, error, results, staff: false, action: "/search" });
  });

  router.get("/editor/search", requireUser, async (req, res) => {
    const { q, error } = parse(req);
    const results = q && !error ? await searchAllRevisions(db, q) : [];
    res.status(error ? 400 : 200).render("search", { title: q ? `Staff search: ${q}` : "Staff search", q, error, results, staff: true, action: "/editor/search" });
  });

  return router;
}
