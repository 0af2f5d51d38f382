// Sends a cached public page: the representation the client accepts (brotli, gzip or
// identity), with validators, and 304 Not Modified when the client's copy is current.
// This is the hot path for anonymous readers: no database, no template, no session.
import type { IncomingHttpHeaders } from "node:http";
import type { NextFunction, Request, Response } from "express";
import type { CachedPage, PageCache, Representation } from "./page-cache.js";
import { AUDIENCE_COOKIE, keyOf, parsePublicPath } from "./public-site.js";

function accepts(header: string, coding: string): boolean {
  for (const part of header.split(",")) {
    const [name, ...params] = part.trim().split(";");
    if (name?.trim().toLowerCase() !== coding) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

type Coding = "br" | "gzip" | "identity";
/** Clients send a handful of distinct Accept-Encoding values: parse each once. */
const codingByHeader = new Map<string, Coding>();

function codingFor(acceptEncoding: string): Coding {
  let coding = codingByHeader.get(acceptEncoding);
  if (coding === undefined) {
    coding = accepts(acceptEncoding, "br") ? "br" : accepts(acceptEncoding, "gzip") ? "gzip" : "identity";
    if (codingByHeader.size >= 256) codingByHeader.clear();
    codingByHeader.set(acceptEncoding, coding);
  }
  return coding;
}

export function chooseRepresentation(page: CachedPage, acceptEncoding: string | undefined): Representation {
  return acceptEncoding ? page[codingFor(acceptEncoding)] : page.identity;
}

/** If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ prefixes are ignored. */
function etagMatches(header: string, page: CachedPage): boolean {
  if (header.trim() === "*") return true;
  const sent = header.split(",").map((t) => t.trim().replace(/^W\//, ""));
  return [page.identity.etag, page.gzip.etag, page.br.etag].some((etag) => sent.includes(etag));
}

export function notModified(headers: IncomingHttpHeaders, page: CachedPage): boolean {
  const ifNoneMatch = headers["if-none-match"];
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, page);
  const ifModifiedSince = headers["if-modified-since"];
  if (ifModifiedSince === undefined) return false;
  const since = Date.parse(ifModifiedSince);
  return !Number.isNaN(since) && page.lastModified.getTime() <= since;
}

/**
 * Sends a cached page through Express (a miss just rendered, or the cache bypassed). The
 * headers come from the page's precomputed list, the same the hot path writes.
 */
export function sendPage(req: Request, res: Response, page: CachedPage) {
  const chosen = chooseRepresentation(page, req.headers["accept-encoding"]);
  const unchanged = notModified(req.headers, page);
  const headers = unchanged ? chosen.headers.notModified : chosen.headers.ok;
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i]!, headers[i + 1]!);
  res.statusCode = unchanged ? 304 : 200;
  res.end(unchanged || req.method === "HEAD" ? undefined : chosen.body);
}

/**
 * Serves public pages from the cache to readers without a session cookie. Anyone with
 * one (staff) falls through to the routes, which render the same page with their header.
 */
export function servePublicPages(pages: PageCache, sessionCookieName: string) {
  const cookiePrefix = `${sessionCookieName}=`;
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const page = parsePublicPath(req.path, req.query as Record<string, unknown>);
    if (!page) return next();
    // Images are the same for everyone (no staff header): served from the cache with a session too.
    if (page.kind !== "media" && req.headers.cookie?.includes(cookiePrefix)) return next();
    const key = keyOf(page);
    pages.get(key).then((page) => (page ? sendPage(req, res, page) : next()), next);
  };
}

export const rememberedAudience = new RegExp(`(?:^|;\\s*)${AUDIENCE_COOKIE}=([a-z0-9-]{1,40})(?:;|$)`);

/**
 * A reader who chose an audience and opens an article's plain address is sent to that
 * audience's address (?for=<slug>). The cookie is only this default: the page at each
 * address is the same for everyone and cached as such, and the redirect itself is never
 * stored by a shared cache. Choosing the default audience removes the cookie.
 */
export function redirectToRememberedAudience() {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    const audience = rememberedAudience.exec(req.headers.cookie ?? "")?.[1];
    if (!audience || req.query.for !== undefined) return next();
    const page = parsePublicPath(req.path, req.query as Record<string, unknown>);
    if (page?.kind !== "article") return next();
    res.setHeader("Cache-Control", "private, no-store");
    res.redirect(302, `/articles/${page.slug}?for=${audience}`);
  };
}
