// Builds the Express application from its dependencies; src/server.ts listens.
import path from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import helmet from "helmet";
import session from "express-session";
import type { Config } from "./config.js";
import type { Database } from "./db/database.js";
import { assignRequestId, auditContext } from "./web/context.js";
import { recordForbidden } from "./services/auth.js";
import { errorHandler, notFound } from "./web/error-handler.js";
import { PrismaSessionStore } from "./web/session-store.js";
import { csrfProtection, rejectUnstorableText } from "./web/security.js";
import { loadSignedInUser } from "./web/auth-middleware.js";
import * as format from "./web/format.js";
import { publicRoutes } from "./routes/public.js";
import { authRoutes } from "./routes/auth.js";
import { editorRoutes } from "./routes/editor.js";
import { adminRoutes } from "./routes/admin.js";
import { apiErrors, apiRouter } from "./api/index.js";
import { tokenRoutes } from "./routes/tokens.js";
import { searchRoutes } from "./routes/search.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

export interface AppDeps {
  config: Config;
  database: Database;
  log?: (message: string) => void;
}

export function createApp({ config, database, log = (m) => console.error(m) }: AppDeps) {
  const db = database.prisma;
  const app = express();
  app.set("view engine", "ejs");
  app.set("views", path.join(root, "views"));
  app.set("trust proxy", config.trustProxy ? 1 : false);
  app.disable("x-powered-by");
  Object.assign(app.locals, format);

  app.use(assignRequestId);
  // Defaults every page (including error pages raised before sign-in is known) can rely on.
  app.use((_req, res, next) => {
    res.locals.currentUser = null;
    res.locals.csrfToken = () => "";
    next();
  });
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"], "form-action": ["'self'"],
          // Only ask browsers to upgrade to HTTPS when the site is served over HTTPS.
          "upgrade-insecure-requests": config.cookieSecure === true ? [] : null,
        },
      },
      // Plain-HTTP local use must keep working; behind TLS, HSTS is the proxy's job or on via COOKIE_SECURE.
      strictTransportSecurity: config.cookieSecure === true,
    }),
  );
  app.use("/static", express.static(path.join(root, "public"), { maxAge: "1h" }));
  app.use(express.urlencoded({ extended: true, limit: "2mb", parameterLimit: 20_000 }));
  app.use(express.json({ limit: "2mb" }));
  app.use(rejectUnstorableText);
  // The JSON API authenticates with bearer tokens only, so it sits before sessions and CSRF.
  app.use("/api", apiRouter(db, { rateLimitPerMinute: config.apiRateLimitPerMinute }));
  app.use("/api", apiErrors(db, log));
  app.use(
    session({
      name: "mecms.sid",
      secret: config.sessionSecret,
      store: new PrismaSessionStore(db, config.sessionTtlMs),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: "lax", secure: config.cookieSecure, maxAge: config.sessionTtlMs },
    }),
  );
  app.use(loadSignedInUser(db, config));
  app.use(csrfProtection);
  app.use((req, res, next) => {
    res.locals.currentUser = req.user ?? null;
    res.locals.currentPath = req.path;
    next();
  });

  app.use(publicRoutes(database));
  app.use(searchRoutes(db));
  app.use(authRoutes(db));
  app.use("/editor", editorRoutes(db));
  app.use("/admin", adminRoutes(db));
  app.use("/account/tokens", tokenRoutes(db));

  app.use(notFound);
  app.use(
    errorHandler(log, async (req, error) => {
      // Signed-in users' refused attempts are security events; anonymous noise is not recorded,
      // so nobody can flood the permanent audit trail without an account.
      if (!req.user) return;
      await recordForbidden(db, auditContext(req), req.method, req.originalUrl.slice(0, 300), String(error.details.securityReason ?? error.message).slice(0, 300));
    }),
  );
  return app;
}
