// Builds the Express application from its dependencies; src/server.ts listens.
import http from "node:http";
import express, { type RequestHandler, type Request, type Response } from "express";
import helmet from "helmet";
import session from "express-session";
import type { Config } from "./config.js";
import { publicAssetsDir, viewsDir } from "./paths.js";
import type { Database } from "./db/database.js";
import { assignRequestId, auditContext, viewUser } from "./web/context.js";
import { recordForbidden, unreadCount } from "./services/people/index.js";
import { errorHandler, notFound } from "./web/error-handler.js";
import { PrismaSessionStore } from "./web/session-store.js";
import { csrfProtection, rejectUnstorableText } from "./web/security.js";
import { multipartForms } from "./web/multipart.js";
import { loadSignedInUser } from "./web/auth-middleware.js";
import * as format from "./web/format.js";
import { formState } from "./web/form-state.js";
import { publicRoutes } from "./routes/public.js";
import { PageCache } from "./public/page-cache.js";
import { PublicSite } from "./public/public-site.js";
import { redirectToRememberedAudience, servePublicPages } from "./public/serve.js";
import { publicHotPath, type HotPathListener } from "./public/hot-path.js";
import { invalidateOnChange } from "./public/invalidation.js";
import { StaticExport } from "./public/static-export.js";
import { authRoutes } from "./routes/auth.js";
import { editorRoutes } from "./routes/editor.js";
import { adminRoutes } from "./routes/admin.js";
import { previewRoutes } from "./routes/preview.js";
import { createLogger, requestLogger } from "./logging.js";
import type { Logger } from "pino";
import { apiErrors, apiRouter } from "./api/index.js";
import { tokenRoutes } from "./routes/tokens.js";
import { searchRoutes } from "./routes/search.js";
import { askRoutes, readerLimiter } from "./routes/ask.js";
import { questionQueueRoutes, vocabularyRoutes } from "./routes/questions.js";
import { accountSecurityRoutes } from "./routes/account-security.js";
import { adminSecondFactorRoutes } from "./routes/admin-second-factors.js";
import { requireSecondFactorGate } from "./web/second-factor-gate.js";
import { webauthnBrowserBundle } from "./paths.js";

export interface AppDeps {
  config: Config;
  database: Database;
  log?: (message: string) => void;
  /** Structured request logs; tests pass none and get a silent one. */
  logger?: Logger;
}

export const SESSION_COOKIE = "mecms.sid";

/** An Express app that can render the templates (also used by commands that render pages). */
export function viewEngine(app = express()) {
  app.set("view engine", "ejs");
  app.set("views", viewsDir);
  // Templates are compiled once per process, not on every staff page (Express only does so
  // under NODE_ENV=production); `npm run dev` restarts when a template changes instead.
  app.enable("view cache");
  Object.assign(app.locals, format, { formState });
  return app;
}

/** The public page cache and renderer of an app, for commands and tests. */
export interface PublicDelivery {
  site: PublicSite;
  cache: PageCache;
  /** Resolves once invalidations are flowing (before that, pages are rendered but not kept). */
  ready: Promise<unknown>;
  staticExport?: StaticExport;
}

const deliveries = new WeakMap<object, PublicDelivery>();
export function publicDeliveryOf(app: object): PublicDelivery {
  const delivery = deliveries.get(app);
  if (!delivery) throw new Error("not an app made by createApp");
  return delivery;
}

/** The headers a middleware sets on every response (helmet's, which depend on nothing in the request). */
function headersSetBy(middleware: RequestHandler): string[] {
  const headers: string[] = [];
  const res = { setHeader: (name: string, value: unknown) => void headers.push(name, String(value)), removeHeader: () => {} };
  void middleware({} as Request, res as unknown as Response, () => {});
  return headers;
}

/**
 * The app's request listener with the hot path in front (decision 0034): what a server
 * should listen with. Express alone (`http.createServer(app)`, supertest) answers the same.
 */
export function publicListener(app: ReturnType<typeof createApp>): HotPathListener {
  return publicHotPath(app, publicDeliveryOf(app).cache, SESSION_COOKIE);
}

export function createServer(app: ReturnType<typeof createApp>): http.Server {
  return http.createServer(publicListener(app));
}

function renderWithUnreadCount(db: Database["prisma"], userId: string, res: Response) {
  const render = res.render;
  res.render = function (this: Response, ...args: Parameters<Response["render"]>) {
    if (res.locals.unreadCount !== undefined) return render.apply(this, args);
    unreadCount(db, userId).then(
      (count) => {
        res.locals.unreadCount = count;
        render.apply(this, args);
      },
      (error) => res.req.next!(error),
    );
  } as Response["render"];
}

export function createApp({ config, database, logger = createLogger({ level: config.env === "test" ? "silent" : undefined }), log = (m) => logger.error(m) }: AppDeps) {
  const db = database.prisma;
  const app = viewEngine();
  app.set("trust proxy", config.trustProxy ? 1 : false);
  app.disable("x-powered-by");

  const securityHeaders = helmet({
    contentSecurityPolicy: {
      directives: {
        "script-src": ["'self'"], "style-src": ["'self'"], "img-src": ["'self'", "data:"], "form-action": ["'self'"],
        // Only ask browsers to upgrade to HTTPS when the site is served over HTTPS.
        "upgrade-insecure-requests": config.cookieSecure === true ? [] : null,
      },
    },
    // Plain-HTTP local use must keep working; behind TLS, HSTS is the proxy's job or on via COOKIE_SECURE.
    strictTransportSecurity: config.cookieSecure === true,
  });

  const site = new PublicSite(app, db, config);
  // Cached pages carry their whole header block, security headers included, for the hot path.
  const cache = new PageCache((key) => site.render(key), config.pageCacheBytes, Date.now, headersSetBy(securityHeaders));
  const staticExport = config.staticExportDir ? new StaticExport(site, db, config.staticExportDir) : undefined;
  staticExport?.follow(cache, log);
  const ready = invalidateOnChange(database, cache, log).catch((error) => log(`Public page invalidation is not listening: ${(error as Error).message}`));
  deliveries.set(app, { site, cache, ready, staticExport });

  app.use(assignRequestId);
  // Defaults every page (including error pages raised before sign-in is known) can rely on.
  app.use((_req, res, next) => {
    res.locals.currentUser = null;
    res.locals.csrfToken = () => "";
    next();
  });
  app.use(securityHeaders);
  // Anonymous readers of public pages stop here: no session, no database, no template.
  // (Cached ones are answered before Express by the hot path, publicListener.)
  app.use(redirectToRememberedAudience());
  app.use(servePublicPages(cache, SESSION_COOKIE));
  // Cached public pages are not logged line by line: at thousands of reads a second that
  // belongs to the proxy or CDN in front; everything past this point is.
  app.use(requestLogger(logger));
  app.use("/static", express.static(publicAssetsDir, { maxAge: "1h" }));
  // The WebAuthn browser library, served from this site (no CDN), straight from its package.
  app.get("/static/vendor/simplewebauthn-browser.js", (_req, res) => res.sendFile(webauthnBrowserBundle, { maxAge: "1h" }));
  // Everything past this point is personal or changes state: never stored by a cache.
  app.use((_req, res, next) => {
    res.setHeader("Cache-Control", "private, no-store");
    next();
  });
  // An article import carries its images (base64): a larger body, on that one address.
  app.use("/api/v1/editorial/imports", express.json({ limit: "60mb" }));
  app.use(express.urlencoded({ extended: true, limit: "2mb", parameterLimit: 20_000 }));
  app.use(express.json({ limit: "2mb" }));
  app.use(rejectUnstorableText);
  // The JSON API authenticates with bearer tokens only, so it sits before sessions and CSRF.
  // Readers' questions, votes and reports are limited per address, on the pages and the API together.
  const askLimit = readerLimiter(config.askRateLimitPerMinute);
  app.use("/api", apiRouter(db, { rateLimitPerMinute: config.apiRateLimitPerMinute, askLimit, mediaMaxBytes: config.mediaMaxBytes }));
  app.use("/api", apiErrors(db, log));
  // Readers' follow-up questions: no session (no cookie for readers); forms carry signed tokens.
  app.use(askRoutes(db, { secret: config.sessionSecret, limit: askLimit, retentionDays: config.questionEmailRetentionDays }));
  app.use(
    session({
      name: SESSION_COOKIE,
      secret: config.sessionSecret,
      store: new PrismaSessionStore(db, config.sessionTtlMs),
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: "lax", secure: config.cookieSecure, maxAge: config.sessionTtlMs },
    }),
  );
  app.use(loadSignedInUser(db, config));
  // The article editor's form may carry images (parsed before CSRF, which reads the form's token).
  app.use(multipartForms({ maxFileBytes: config.mediaMaxBytes, maxFiles: 4, paths: /^\/editor\/articles\/[^/]+\/edit$/ }));
  app.use(csrfProtection);
  app.use(requireSecondFactorGate(db, config));
  app.use((req, res, next) => {
    res.locals.currentUser = req.user ? viewUser(req.user) : null;
    res.locals.currentPath = req.path;
    // The staff header (with the bell's unread count) is the same on every page a signed-in
    // person opens: the count is read once, when a page is rendered (after the page has marked
    // what it shows as read), unless the page's own query brought it; redirects and JSON skip it.
    if (req.user) renderWithUnreadCount(db, req.user.id, res);
    next();
  });

  app.use(publicRoutes(database, site, { cookieSecure: config.cookieSecure === true }));
  app.use(searchRoutes(db));
  app.use(authRoutes(db, config));
  app.use("/editor/questions", questionQueueRoutes(db));
  app.use("/editor", editorRoutes(db, { previewSecret: config.sessionSecret, publicUrl: config.publicUrl, mediaMaxBytes: config.mediaMaxBytes }));
  app.use(previewRoutes(db, config.sessionSecret));
  app.use("/admin/vocabulary", vocabularyRoutes(db));
  app.use("/admin", adminSecondFactorRoutes(db));
  app.use("/admin", adminRoutes(db, { outboxDir: config.outboxDir, smtpConfigured: !!config.smtpUrl, pool: database.pool }));
  app.use("/account/tokens", tokenRoutes(db));
  app.use("/account/security", accountSecurityRoutes(db, config));

  app.use(notFound);
  app.use(
    errorHandler(log, async (req, error) => {
      // Signed-in users' refused attempts are security events; anonymous noise is not recorded,
      // so nobody can flood the permanent audit trail without an account.
      // Services that record their own refusal (a wrong signature password) say so.
      if (!req.user || error.details.recorded) return;
      await recordForbidden(db, auditContext(req), req.method, req.originalUrl.slice(0, 300), error.message.slice(0, 300));
    }),
  );
  return app;
}
