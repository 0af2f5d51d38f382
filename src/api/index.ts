// The JSON API, mounted at /api before the session middleware: it authenticates
// with bearer tokens only, never the session cookie, so CSRF (a cookie problem)
// does not apply to it. /api/openapi.json and /api/docs describe it.
import express, { Router, type Request } from "express";
import type { Db } from "../db/database.js";
import { AppError } from "../errors.js";
import { recordForbidden } from "../services/people/index.js";
import { auditContext } from "../web/context.js";
import { mountRoutes } from "./define.js";
import { buildOpenApiDocument } from "./openapi.js";
import { apiErrorHandler } from "./problems.js";
import { apiRoutes } from "./routes.js";
import type { ReaderLimit } from "../routes/ask.js";

export const API_VERSION = "1.0.0";

export function apiRouter(db: Db, options: { rateLimitPerMinute: number; askLimit?: ReaderLimit; mediaMaxBytes?: number }) {
  const routes = apiRoutes(db, { askLimit: options.askLimit, mediaMaxBytes: options.mediaMaxBytes });
  // Built when first asked for, not at start-up (turning every schema into JSON Schema takes a tenth of a second).
  let built: ReturnType<typeof buildOpenApiDocument> | undefined;
  const document = () => (built ??= buildOpenApiDocument(routes, { version: API_VERSION }));
  const router = Router();
  router.get("/openapi.json", (_req, res) => {
    res.set("Cache-Control", "public, no-cache").json(document());
  });
  router.get("/docs", (_req, res) => {
    res.render("api/docs", { title: "API reference", doc: document() });
  });
  // An image upload is the request body itself (any type: what it is is read from its bytes). One byte
  // over the limit is let through so the upload is refused with the sentence naming the limit.
  const rawBody = express.raw({ type: () => true, limit: (options.mediaMaxBytes ?? 10 * 1024 * 1024) + 1 });
  router.use("/v1/editorial/media", (req, res, next) => (req.method === "POST" ? rawBody(req, res, next) : next()));
  router.use(mountRoutes(routes, { db, rateLimitPerMinute: options.rateLimitPerMinute }));
  router.use((_req, _res, next) => next(new AppError("NOT_FOUND", "There is no API endpoint at this address. See /api/docs.")));
  return router;
}

/** Problem-details errors for everything under /api, including body-parser failures before the router. */
export function apiErrors(db: Db, log: (message: string) => void) {
  return apiErrorHandler(log, async (req: Request, error) => {
    // As on the pages: a known person's refused attempt is a security event; anonymous noise is not.
    if (!req.user) return;
    await recordForbidden(db, auditContext(req), req.method, req.originalUrl.slice(0, 300), String(error.details.securityReason ?? error.message).slice(0, 300));
  });
}
