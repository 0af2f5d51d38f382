// Public pages rendered once per change and then served from memory as bytes, with
// their gzip and brotli forms and strong ETags computed at render time. Bounded in
// bytes (least recently used pages fall out and are rendered again on demand).
// Entries carry tags ("article:<id>", "lists", "board", ...) so a change replaces
// exactly the pages that show it (see src/public/invalidation.ts).
import { createHash } from "node:crypto";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";

export interface RenderedPage {
  contentType: string;
  body: Buffer;
  /** When the content shown last changed, for Last-Modified. */
  lastModified: Date;
  cacheControl: string;
  /** "noindex" for content shown while pending review. */
  robots?: string;
  /** Epoch ms after which the page must be rendered again (e.g. a review becoming overdue). */
  expiresAt?: number;
  /** What the page shows; a change to any of these replaces it. */
  tags: string[];
  /** Already compressed (an image): sent as it is, never gzipped or brotli-compressed. */
  compressed?: boolean;
}

export interface Representation {
  body: Buffer;
  etag: string;
  encoding: "br" | "gzip" | null;
  /**
   * The response headers after the security headers, in the order they are sent, as flat
   * [name, value, ...] lists: for a 200 (and HEAD) and for a 304.
   */
  headers: { ok: string[]; notModified: string[] };
  /**
   * The whole header block the hot path writes in one call (src/public/hot-path.ts): the
   * request id slot (index 1, filled per request), the security headers, then `headers`.
   */
  block: { ok: string[]; notModified: string[] };
}

export interface CachedPage extends RenderedPage {
  identity: Representation;
  gzip: Representation;
  br: Representation;
  /** The Last-Modified header value, formatted once. */
  lastModifiedHttp: string;
  size: number;
}

/** Every tag matches "all": dropping it empties the cache. */
export const ALL = "all";

/** For CDNs that read CDN-Cache-Control (RFC 9213): see PUBLIC_CACHE_CONTROL in public-site.ts. */
export const CDN_CACHE_CONTROL = "public, max-age=60, stale-while-revalidate=600";

export const REQUEST_ID_HEADER = "X-Request-Id";

function representationHeaders(page: RenderedPage, lastModifiedHttp: string, body: Buffer, etag: string, encoding: Representation["encoding"], securityHeaders: readonly string[]) {
  const validators = ["Cache-Control", page.cacheControl, "CDN-Cache-Control", CDN_CACHE_CONTROL, ...(page.compressed ? [] : ["Vary", "Accept-Encoding"]), "ETag", etag, "Last-Modified", lastModifiedHttp];
  if (page.robots) validators.push("X-Robots-Tag", page.robots);
  const ok = [...validators, "Content-Type", page.contentType, "Content-Length", String(body.length)];
  if (encoding) ok.push("Content-Encoding", encoding);
  const head = [REQUEST_ID_HEADER, "", ...securityHeaders];
  return { body, etag, encoding, headers: { ok, notModified: validators }, block: { ok: [...head, ...ok], notModified: [...head, ...validators] } };
}

/**
 * Compresses a rendered page and computes every header it is sent with, once.
 * `securityHeaders` (flat name/value list) are those every response carries (helmet's).
 */
export function compressPage(page: RenderedPage, securityHeaders: readonly string[] = []): CachedPage {
  const hash = createHash("sha256").update(page.body).digest("base64url").slice(0, 32);
  if (page.compressed) {
    // One representation for every client: compressing an image again only costs time.
    const lastModified = new Date(Math.floor(page.lastModified.getTime() / 1000) * 1000);
    const lastModifiedHttp = lastModified.toUTCString();
    const identity = representationHeaders(page, lastModifiedHttp, page.body, `"${hash}"`, null, securityHeaders);
    return { ...page, lastModified, lastModifiedHttp, identity, gzip: identity, br: identity, size: page.body.length + 2048 };
  }
  const gzip = gzipSync(page.body, { level: 9 });
  // Quality 6, not 11: 11 saves another ~15% of a 4 KB response but costs ~30 ms on every
  // render, which a reader waits for on a cache miss (measured on a 20 KB article page).
  const br = brotliCompressSync(page.body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 6, [zlib.BROTLI_PARAM_SIZE_HINT]: page.body.length },
  });
  const lastModified = new Date(Math.floor(page.lastModified.getTime() / 1000) * 1000);
  const lastModifiedHttp = lastModified.toUTCString();
  return {
    ...page,
    lastModified,
    lastModifiedHttp,
    // Strong ETags differ per encoding: each is a different byte sequence.
    identity: representationHeaders(page, lastModifiedHttp, page.body, `"${hash}"`, null, securityHeaders),
    gzip: representationHeaders(page, lastModifiedHttp, gzip, `"${hash}-gz"`, "gzip", securityHeaders),
    br: representationHeaders(page, lastModifiedHttp, br, `"${hash}-br"`, "br", securityHeaders),
    size: page.body.length + gzip.length + br.length + 2048,
  };
}

export type Renderer = (key: string) => Promise<RenderedPage | null>;

export class PageCache {
  private readonly entries = new Map<string, CachedPage>();
  private readonly keysByTag = new Map<string, Set<string>>();
  private readonly inFlight = new Map<string, Promise<CachedPage | null>>();
  private readonly invalidationListeners = new Set<(tags: string[]) => void>();
  private bytes = 0;
  /** Bumped by every invalidation: a render that started before one is served but not kept. */
  private epoch = 0;
  /** False while invalidations might be missed (no listener yet, or a lost connection). */
  private storing = false;

  constructor(
    private readonly render: Renderer,
    private readonly maxBytes: number,
    private readonly now: () => number = Date.now,
    /** Headers every response carries (flat name/value list), part of each page's header block. */
    private readonly securityHeaders: readonly string[] = [],
  ) {}

  get size() {
    return { pages: this.entries.size, bytes: this.bytes };
  }

  /** The stored page for key if it is still fresh, without rendering (the hot path's lookup). */
  peek(key: string): CachedPage | undefined {
    const hit = this.entries.get(key);
    if (!hit || (hit.expiresAt !== undefined && this.now() >= hit.expiresAt)) return undefined;
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit;
  }

  /** The page for key, rendered if needed; null when there is no such public page. */
  get(key: string): Promise<CachedPage | null> {
    const hit = this.entries.get(key);
    if (hit && (hit.expiresAt === undefined || this.now() < hit.expiresAt)) {
      // Map order is recency order: move the hit to the newest end.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return Promise.resolve(hit);
    }
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const started = this.epoch;
    const rendering = this.render(key)
      .then((page) => {
        if (!page) return null;
        const cached = compressPage(page, this.securityHeaders);
        if (this.storing && this.epoch === started) this.store(key, cached);
        return cached;
      })
      .finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, rendering);
    return rendering;
  }

  /** Turns storing on (invalidations are flowing) or off (they may be missed: forget everything). */
  setStoring(storing: boolean) {
    if (!storing) this.invalidate([ALL]);
    this.storing = storing;
  }

  invalidate(tags: string[]) {
    this.epoch++;
    if (tags.includes(ALL)) {
      this.entries.clear();
      this.keysByTag.clear();
      this.bytes = 0;
    } else {
      for (const tag of tags) for (const key of this.keysByTag.get(tag) ?? []) this.remove(key);
    }
    for (const listener of this.invalidationListeners) listener(tags);
  }

  /** Told after each invalidation, e.g. to rewrite a static export. */
  onInvalidate(listener: (tags: string[]) => void) {
    this.invalidationListeners.add(listener);
    return () => this.invalidationListeners.delete(listener);
  }

  private store(key: string, page: CachedPage) {
    if (page.size > this.maxBytes) return;
    this.remove(key);
    this.entries.set(key, page);
    this.bytes += page.size;
    for (const tag of page.tags) {
      let keys = this.keysByTag.get(tag);
      if (!keys) this.keysByTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
    for (const [oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.remove(oldest);
    }
  }

  private remove(key: string) {
    const page = this.entries.get(key);
    if (!page) return;
    this.entries.delete(key);
    this.bytes -= page.size;
    for (const tag of page.tags) {
      const keys = this.keysByTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.keysByTag.delete(tag);
    }
  }
}
