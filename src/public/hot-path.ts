// The hot path: a node:http request listener in front of Express that answers anonymous
// GET/HEAD requests for public pages already in the page cache, writing each page's
// precomputed header block in one call. Everything else (a session cookie, an address
// that is not a cached public page, a miss, another method, the audience-cookie redirect)
// goes to Express unchanged, which answers exactly as it would without this listener
// (decision 0034). The headers are the same bytes Express sends for the same page: the
// security headers are captured from the app's own helmet middleware once, and the page's
// headers come from the same precomputed list src/public/serve.ts sends.
import { randomUUID } from "node:crypto";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { parse as parseQuery } from "node:querystring";
import type { CachedPage, PageCache } from "./page-cache.js";
import { keyOf, parsePublicPath } from "./public-site.js";
import { chooseRepresentation, notModified, rememberedAudience } from "./serve.js";

/**
 * Addresses the hot path parses itself: a path and an optional query string of plain
 * characters, which Express (parseurl, then the "simple" query parser, node:querystring)
 * splits the same way. Anything else (#, spaces, non-ASCII...) goes to Express.
 */
const PLAIN_URL = /^\/[A-Za-z0-9\-._~/]*(?:\?[A-Za-z0-9\-._~=&%+]*)?$/;

export interface HotPathListener extends RequestListener {
  /** Responses the hot path answered itself (for tests and diagnostics). */
  served: number;
}

/** The cached page a request asks for, or undefined when Express must answer it. */
function cachedPageFor(req: IncomingMessage, cache: PageCache, sessionCookie: string): CachedPage | undefined {
  const url = req.url;
  if (url === undefined || !PLAIN_URL.test(url)) return undefined;
  const cookie = req.headers.cookie;
  const q = url.indexOf("?");
  const path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? {} : (parseQuery(url.slice(q + 1)) as Record<string, unknown>);
  const page = parsePublicPath(path, query);
  if (!page) return undefined;
  // Images are the same for everyone; pages for signed-in staff carry their own header.
  if (page.kind !== "media" && cookie !== undefined && cookie.includes(sessionCookie)) return undefined;
  // A remembered audience turns the plain article address into a redirect: Express's job.
  if (page.kind === "article" && query.for === undefined && cookie !== undefined && rememberedAudience.test(cookie)) return undefined;
  return cache.peek(keyOf(page));
}

/**
 * Wraps the Express app: cached public pages for anonymous readers are answered here,
 * everything else is handed to `app`.
 */
export function publicHotPath(app: RequestListener, cache: PageCache, sessionCookieName: string): HotPathListener {
  const sessionCookie = `${sessionCookieName}=`;
  const listener = ((req: IncomingMessage, res: ServerResponse) => {
    const method = req.method;
    const page = method === "GET" || method === "HEAD" ? cachedPageFor(req, cache, sessionCookie) : undefined;
    if (page === undefined) return app(req, res);
    listener.served++;
    const chosen = chooseRepresentation(page, req.headers["accept-encoding"]);
    const unchanged = notModified(req.headers, page);
    const block = unchanged ? chosen.block.notModified : chosen.block.ok;
    // writeHead reads the block synchronously, so the shared list's id slot can be reused.
    block[1] = randomUUID();
    res.writeHead(unchanged ? 304 : 200, block);
    res.end(unchanged || method === "HEAD" ? undefined : chosen.body);
  }) as HotPathListener;
  listener.served = 0;
  return listener;
}
